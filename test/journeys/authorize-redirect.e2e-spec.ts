import * as oidc from 'openid-client';
import { useTestApp } from '../support/app';
import { submitPassword } from '../support/journeys';
import { registerStandardClients, SPA } from '../support/oauth';
import { Slapd, startSlapd } from '../support/slapd';

/** A relying party's browser redirect starts the same journey and comes back with code and state. */
describe('login by browser redirect (/oauth2/authorize) against LDAP', () => {
  let slapd: Slapd;
  const env: Record<string, string> = { LOGIN_UI_URL: 'http://localhost:5173/login' };
  beforeAll(async () => {
    slapd = await startSlapd();
    Object.assign(env, slapd.env);
  });
  afterAll(() => slapd.stop());
  const t = useTestApp({ env }, registerStandardClients);

  it('sends the browser to the login UI, and the journey ends with the redirect openid-client accepts', async () => {
    const rp = await oidc.discovery(new URL(t.config.oidc.issuer), SPA.clientId, undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const authorizeUrl = oidc.buildAuthorizationUrl(rp, {
      redirect_uri: SPA.redirectUri,
      scope: 'openid profile',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });

    const toLogin = await fetch(authorizeUrl, { redirect: 'manual' });
    expect(toLogin.status).toBe(302);
    const login = new URL(toLogin.headers.get('location')!);
    expect(`${login.origin}${login.pathname}`).toBe('http://localhost:5173/login');
    expect(login.search).toBe(''); // nothing secret in what servers and Referer headers see
    const fragment = new URLSearchParams(login.hash.slice(1));
    expect(fragment.get('step')).toBe('PASSWORD');

    const response = await submitPassword(
      t,
      fragment.get('journey')!,
      fragment.get('transaction_token')!,
      'alice',
      'alice-password',
    );
    expect(response.status).toBe(200);
    const { redirectTo } = await response.json();
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(redirectTo), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    expect(tokens.claims()).toMatchObject({ sub: 'CUPID-ALICE-0001', amr: ['pwd'] });
    const [context] = await t.dataSource.query(`SELECT status, state, redirect_uri FROM auth_contexts WHERE id = $1`, [
      fragment.get('journey'),
    ]);
    expect(context).toEqual({ status: 'COMPLETED', state, redirect_uri: SPA.redirectUri });
  });

  const authorize = (params: Record<string, string>) =>
    fetch(
      `${t.baseUrl}/oauth2/authorize?${new URLSearchParams({
        response_type: 'code',
        client_id: SPA.clientId,
        redirect_uri: SPA.redirectUri,
        scope: 'openid',
        state: 's1',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        ...params,
      })}`,
      { redirect: 'manual' },
    );

  it('never redirects to an unregistered redirect URI or for an unknown client: it shows the error', async () => {
    const evil = await authorize({ redirect_uri: 'https://evil.example/cb' });
    expect(evil.status).toBe(400);
    expect(await evil.json()).toEqual({
      error: 'invalid_request',
      error_description: 'redirect_uri is not registered for this client',
    });
    const unknown = await authorize({ client_id: 'nobody' });
    expect(unknown.status).toBe(400);
  });

  it('sends other errors back to the client with state (missing PKCE, plain PKCE, wrong response type, scope)', async () => {
    for (const [params, error] of [
      [{ code_challenge: '' }, 'invalid_request'],
      [{ code_challenge_method: 'plain' }, 'invalid_request'],
      [{ response_type: 'token' }, 'unsupported_response_type'],
      // Issue 15: a scope unknown to us or not registered for the client is invalid_scope (RFC 6749 §4.1.2.1).
      [{ scope: 'openid admin' }, 'invalid_scope'],
    ] as Array<[Record<string, string>, string]>) {
      const response = await authorize(params);
      expect(response.status).toBe(302);
      const location = new URL(response.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(SPA.redirectUri);
      expect(location.searchParams.get('error')).toBe(error);
      expect(location.searchParams.get('state')).toBe('s1');
    }
  });
});
