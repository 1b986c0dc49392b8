import * as oidc from 'openid-client';
import type { TestApp } from './app';

/** openid-client configured for `clientId` against the test app (discovery over plain HTTP). */
export function relyingParty(t: TestApp, clientId: string): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(t.config.oidc.issuer), clientId, undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
}

/**
 * One relying party's authorization request, as openid-client builds it (PKCE S256, state, nonce; scope `openid
 * profile` unless `extra` says otherwise), and how it redeems the answer: `redeem(location, options)` checks state,
 * nonce and the ID token, with `options` passed on (e.g. `{ DPoP: handle }`).
 */
export async function authorizationRequest(
  t: TestApp,
  clientId: string,
  redirectUri: string,
  extra: Record<string, string> = {},
) {
  const config = await relyingParty(t, clientId);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile',
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  });
  const redeem = (location: string, options?: oidc.AuthorizationCodeGrantOptions) =>
    oidc.authorizationCodeGrant(
      config,
      new URL(location),
      { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce },
      undefined,
      options,
    );
  return { config, url, state, redeem };
}

/** The browser: a request to `url` (e.g. /oauth2/authorize) with its cookie, if any, not following redirects. */
export function visit(url: URL, cookie?: string): Promise<Response> {
  return fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
}
