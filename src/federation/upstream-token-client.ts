import { Injectable } from '@nestjs/common';
import * as oidc from 'openid-client';
import type { FederationProvider } from './federation-providers.repository';
import { UpstreamConfigurations } from './upstream-configurations';

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

/**
 * The refresh_token grant against an upstream provider with openid-client (discovery, client authentication,
 * the response's checks, ID token validation when one comes back): never hand-rolled. The call is made with no
 * database connection held; the provider's configuration is cached per instance.
 */
@Injectable()
export class UpstreamTokenClient {
  constructor(private readonly configurations: UpstreamConfigurations) {}

  /** The provider's answer to a refresh_token grant; UpstreamRefreshError on any failure. */
  async refresh(provider: FederationProvider, refreshToken: string): Promise<UpstreamTokenSet> {
    try {
      const config = await this.configurations.of(provider);
      const response = await oidc.refreshTokenGrant(config, refreshToken);
      return {
        access_token: response.access_token,
        token_type: response.token_type,
        refresh_token: response.refresh_token,
        expires_in: response.expires_in,
        scope: response.scope,
      };
    } catch (error) {
      if (!(error instanceof oidc.ResponseBodyError)) this.configurations.forget(provider.id);
      throw new UpstreamRefreshError(errorCode(error));
    }
  }
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
