import { Injectable } from '@nestjs/common';
import * as oidc from 'openid-client';
import type { FederationProvider } from './federation-providers.repository';
import { UpstreamConfigurations } from './upstream-configurations';
import type { UpstreamTokenSet } from './upstream-token-client';

/** What the browser must keep nowhere: the PKCE verifier, the nonce and the state of one authorization request. */
export interface AuthorizationChecks {
  codeVerifier: string;
  nonce: string | null;
  state: string;
}

/** Who the provider says signed in, and its tokens (for FederationTokensService.store; never logged). */
export interface UpstreamIdentity {
  subject: string;
  /** Only the claims the provider is configured to supply (federation_providers.claims). */
  claims: Record<string, unknown>;
  displayName: string | null;
  tokenSet: UpstreamTokenSet;
}

/**
 * The provider's answer was refused: its error (error=access_denied), or a response that failed a check (state,
 * iss, the ID token's signature, aud, nonce, the code at the token endpoint). `code` is safe to audit.
 */
export class FederationResponseError extends Error {
  constructor(
    readonly reason: 'provider_error' | 'invalid_response',
    readonly code: string,
  ) {
    super(`federation response refused: ${reason} (${code})`);
  }
}

/**
 * The relying party towards upstream providers, with openid-client (never hand-rolled): discovery for OpenID
 * providers (cached per instance for FEDERATION_CACHE_TTL_SECONDS, dropped when the provider's row changes),
 * endpoints as configured for plain OAuth 2.0 ones; PKCE S256, state and nonce on every request; on the way back
 * the state, the iss parameter (RFC 9207, where the provider supports it), the code exchange and the ID token
 * (signature, iss, aud, nonce, expiry). Every call here is a network call: callers hold no database connection.
 */
@Injectable()
export class FederationRelyingParty {
  constructor(private readonly configurations: UpstreamConfigurations) {}

  /** The URL to send the browser to, and the checks its answer must pass (kept sealed by the caller). */
  async authorizationRequest(provider: FederationProvider): Promise<{ url: string; checks: AuthorizationChecks }> {
    const config = await this.configurations.of(provider);
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = provider.kind === 'oidc' ? oidc.randomNonce() : null;
    const parameters: Record<string, string> = {
      redirect_uri: provider.redirectUri,
      response_type: 'code',
      scope: provider.scopes.join(' '),
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      ...(nonce ? { nonce } : {}),
    };
    return { url: oidc.buildAuthorizationUrl(config, parameters).href, checks: { codeVerifier, nonce, state } };
  }

  /**
   * Processes the provider's redirect to our callback (`query`: its query string) with the checks of the request
   * it answers. FederationResponseError when the answer is refused; any other error is the provider being
   * unreachable (the caller answers 503 and the same step can be retried).
   */
  async exchange(provider: FederationProvider, query: string, checks: AuthorizationChecks): Promise<UpstreamIdentity> {
    const callback = new URL(provider.redirectUri);
    callback.search = query.startsWith('?') ? query.slice(1) : query;
    try {
      const config = await this.configurations.of(provider);
      const response = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        ...(provider.kind === 'oidc' ? { expectedNonce: checks.nonce ?? undefined, idTokenExpected: true } : {}),
      });
      const tokenSet: UpstreamTokenSet = {
        access_token: response.access_token,
        token_type: response.token_type,
        refresh_token: response.refresh_token,
        expires_in: response.expires_in,
        scope: response.scope,
      };
      const all =
        provider.kind === 'oidc'
          ? await this.oidcClaims(config, provider, response)
          : await this.userinfo(config, provider, response.access_token);
      const subjectClaim = provider.kind === 'oidc' ? 'sub' : String(provider.settings.subjectClaim ?? 'sub');
      const subject = all[subjectClaim];
      if ((typeof subject !== 'string' && typeof subject !== 'number') || String(subject).length === 0)
        throw new FederationResponseError('invalid_response', 'no_subject');
      // Refused, never cut: two subjects alike in their first 255 characters must not share one link (OIDC Core
      // §2 caps sub at 255; a plain OAuth 2.0 provider's subjectClaim has no cap).
      if (String(subject).length > 255) throw new FederationResponseError('invalid_response', 'subject_too_long');
      const claims = Object.fromEntries(Object.entries(all).filter(([name]) => provider.claims.includes(name)));
      const name = claims.name ?? claims.preferred_username;
      return {
        subject: String(subject),
        claims,
        displayName: typeof name === 'string' ? name.slice(0, 200) : null,
        tokenSet,
      };
    } catch (error) {
      throw refusalOf(error) ?? error;
    }
  }

  /**
   * The ID token's claims, and the userinfo endpoint's where the provider may supply claims the ID token lacks
   * (OIDC Core §5.4: profile claims usually come from userinfo); its `sub` must be the ID token's (§5.3.2).
   */
  private async oidcClaims(
    config: oidc.Configuration,
    provider: FederationProvider,
    response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers,
  ): Promise<Record<string, unknown>> {
    const idToken = (response.claims() ?? {}) as Record<string, unknown>;
    const missing = provider.claims.some((claim) => !(claim in idToken));
    if (!missing || !config.serverMetadata().userinfo_endpoint || typeof idToken.sub !== 'string') return idToken;
    const userinfo = await oidc.fetchUserInfo(config, response.access_token, idToken.sub);
    return { ...(userinfo as Record<string, unknown>), ...idToken };
  }

  private async userinfo(
    config: oidc.Configuration,
    provider: FederationProvider,
    accessToken: string,
  ): Promise<Record<string, unknown>> {
    const response = await oidc.fetchProtectedResource(
      config,
      accessToken,
      new URL(provider.userinfoEndpoint!),
      'GET',
      undefined,
      new Headers({ accept: 'application/json' }),
    );
    if (response.status >= 500) throw new Error(`userinfo endpoint answered ${response.status}`);
    if (!response.ok) throw new FederationResponseError('invalid_response', `userinfo_${response.status}`);
    const body: unknown = await response.json().catch(() => null);
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw new FederationResponseError('invalid_response', 'userinfo_not_json');
    return body as Record<string, unknown>;
  }
}

/** The refusal an error stands for; null for the provider being unreachable (network, timeout, a 5xx). */
function refusalOf(error: unknown): FederationResponseError | null {
  if (error instanceof FederationResponseError) return error;
  if (error instanceof oidc.AuthorizationResponseError)
    return new FederationResponseError('provider_error', safe(error.error));
  if (error instanceof oidc.ResponseBodyError) {
    if (error.status >= 500) return null;
    return new FederationResponseError('invalid_response', safe(error.error));
  }
  if (error instanceof oidc.ClientError) {
    const status = (error.cause as { status?: unknown } | undefined)?.status;
    if (typeof status === 'number' && status >= 500) return null;
    return new FederationResponseError('invalid_response', safe(error.code ?? 'invalid_response'));
  }
  return null;
}

/** An error code fit for an audit row: short, printable; never a message that could carry a value. */
function safe(code: string): string {
  return /^[\x20-\x7e]{1,64}$/.test(code) ? code : 'invalid_error';
}
