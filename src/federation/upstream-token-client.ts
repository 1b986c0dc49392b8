import { Inject, Injectable } from '@nestjs/common';
import * as oidc from 'openid-client';
import { Clock } from '../common/clock';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import type { FederationProvider } from './federation-providers.repository';
import { FederationProvidersService } from './federation-providers.service';

/** What a provider's token endpoint answered (RFC 6749 §5.1), as openid-client checked it. */
export interface UpstreamTokenSet {
  access_token: string;
  token_type: string;
  refresh_token?: string;
  expires_in?: number;
  scope?: string;
}

/** A refresh the provider refused or that could not reach it; `code` is safe to store (never a token value). */
export class UpstreamRefreshError extends Error {
  constructor(readonly code: string) {
    super(`upstream refresh failed: ${code}`);
  }
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Discovery is cached this long per provider (and dropped when the provider's row changes). */
const DISCOVERY_TTL_MS = 10 * 60_000;

/**
 * The refresh_token grant against an upstream provider with openid-client (discovery, client authentication,
 * the response's checks, ID token validation when one comes back): never hand-rolled. The call is made with no
 * database connection held; the provider's configuration is cached per instance.
 */
@Injectable()
export class UpstreamTokenClient {
  private readonly configurations = new Map<string, { key: string; at: number; config: Promise<oidc.Configuration> }>();

  constructor(
    @Inject(APP_CONFIG) private readonly appConfig: AppConfig,
    private readonly providers: FederationProvidersService,
    private readonly clock: Clock,
  ) {}

  /** The provider's answer to a refresh_token grant; UpstreamRefreshError on any failure. */
  async refresh(provider: FederationProvider, refreshToken: string): Promise<UpstreamTokenSet> {
    try {
      const config = await this.configuration(provider);
      const response = await oidc.refreshTokenGrant(config, refreshToken);
      return {
        access_token: response.access_token,
        token_type: response.token_type,
        refresh_token: response.refresh_token,
        expires_in: response.expires_in,
        scope: response.scope,
      };
    } catch (error) {
      if (!(error instanceof oidc.ResponseBodyError)) this.configurations.delete(provider.id);
      throw new UpstreamRefreshError(errorCode(error));
    }
  }

  private configuration(provider: FederationProvider): Promise<oidc.Configuration> {
    const key = `${provider.updatedAt.toISOString()}`;
    const cached = this.configurations.get(provider.id);
    const now = this.clock.now().getTime();
    if (cached && cached.key === key && now - cached.at < DISCOVERY_TTL_MS) return cached.config;
    const config = this.build(provider);
    this.configurations.set(provider.id, { key, at: now, config });
    config.catch(() => this.configurations.delete(provider.id));
    return config;
  }

  private async build(provider: FederationProvider): Promise<oidc.Configuration> {
    const secret = this.providers.clientSecret(provider);
    const auth = !secret
      ? oidc.None()
      : provider.settings.tokenEndpointAuthMethod === 'client_secret_post'
        ? oidc.ClientSecretPost(secret)
        : oidc.ClientSecretBasic(secret);
    const timeout = this.appConfig.federationTokens.upstreamTimeoutSeconds;
    let config: oidc.Configuration;
    if (provider.kind === 'oidc') {
      const issuer = new URL(provider.issuer!);
      config = await oidc.discovery(issuer, provider.clientId, undefined, auth, {
        timeout,
        ...(insecureAllowed(issuer) ? { execute: [oidc.allowInsecureRequests] } : {}),
      });
    } else {
      const tokenEndpoint = new URL(provider.tokenEndpoint!);
      config = new oidc.Configuration(
        { issuer: provider.issuer ?? tokenEndpoint.origin, token_endpoint: tokenEndpoint.href },
        provider.clientId,
        undefined,
        auth,
      );
      if (insecureAllowed(tokenEndpoint)) oidc.allowInsecureRequests(config);
    }
    config.timeout = timeout;
    return config;
  }
}

/** Plain http only to a provider on this machine (tests, development); anything else must be https. */
function insecureAllowed(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK.has(url.hostname);
}

/** The provider's RFC 6749 §5.2 code when it answered one; otherwise what kind of failure, never a message. */
function errorCode(error: unknown): string {
  if (error instanceof oidc.ResponseBodyError)
    return /^[\x20-\x7e]{1,64}$/.test(error.error) ? error.error : 'invalid_error';
  if (error instanceof oidc.ClientError) {
    if (error.code === 'OAUTH_TIMEOUT' || error.code === 'OAUTH_ABORT') return 'timeout';
    // An answer that is no RFC 6749 error (a 5xx from the provider or its proxy): its status says enough.
    if (error.cause instanceof Response) return `http_${error.cause.status}`;
    return 'invalid_response';
  }
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timeout';
  return 'network_error';
}
