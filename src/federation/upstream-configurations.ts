import { Inject, Injectable } from '@nestjs/common';
import * as oidc from 'openid-client';
import { Clock } from '../common/clock';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import type { FederationProvider } from './federation-providers.repository';
import { FederationProvidersService } from './federation-providers.service';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Each upstream provider as openid-client sees it (its metadata, our client id and authentication, the call
 * timeout): discovered from the issuer for OpenID providers, built from the configured endpoints for plain
 * OAuth 2.0 ones. One per provider and instance, shared by the sign-in (FederationRelyingParty) and the token
 * refresh (UpstreamTokenClient); kept FEDERATION_CACHE_TTL_SECONDS, rebuilt at once when the provider's row
 * changes, dropped when building it failed or a caller says the provider looked unreachable (`forget`).
 */
@Injectable()
export class UpstreamConfigurations {
  private readonly configurations = new Map<string, { key: string; at: number; config: Promise<oidc.Configuration> }>();

  constructor(
    @Inject(APP_CONFIG) private readonly appConfig: AppConfig,
    private readonly providers: FederationProvidersService,
    private readonly clock: Clock,
  ) {}

  of(provider: FederationProvider): Promise<oidc.Configuration> {
    const key = provider.updatedAt.toISOString();
    const cached = this.configurations.get(provider.id);
    const now = this.clock.now().getTime();
    if (cached && cached.key === key && now - cached.at < this.appConfig.federationLogin.cacheTtlSeconds * 1000)
      return cached.config;
    const config = this.build(provider);
    this.configurations.set(provider.id, { key, at: now, config });
    config.catch(() => this.forget(provider.id));
    return config;
  }

  /** The next call discovers the provider again (after a network failure: its metadata may have moved). */
  forget(providerId: string): void {
    this.configurations.delete(providerId);
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
      const authorization = new URL(provider.authorizationEndpoint!);
      config = new oidc.Configuration(
        {
          issuer: provider.issuer ?? authorization.origin,
          authorization_endpoint: authorization.href,
          token_endpoint: provider.tokenEndpoint!,
          userinfo_endpoint: provider.userinfoEndpoint!,
        },
        provider.clientId,
        undefined,
        auth,
      );
      if (insecureAllowed(authorization)) oidc.allowInsecureRequests(config);
    }
    config.timeout = timeout;
    return config;
  }
}

/** Plain http only to a provider on this machine (tests, development); anything else must be https. */
function insecureAllowed(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK.has(url.hostname);
}
