import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { startTestApp, TestApp } from '../support/app';
import { completeLogin, registerStandardClients, SERVICE, SPA } from '../support/oauth';

/**
 * A certified relying-party library, pointed only at our discovery URL, does every standard exchange
 * unmodified: code + PKCE, refresh (rotating), userinfo, introspection, revocation, client credentials
 * and RP-initiated logout. Every JWT is verified with jose against the published JWKS.
 */
describe('OpenID Connect with openid-client as the relying party', () => {
  let t: TestApp;
  let spa: oidc.Configuration;
  let service: oidc.Configuration;

  beforeAll(async () => {
    t = await startTestApp();
    await registerStandardClients(t);
    const issuer = new URL(t.config.oidc.issuer);
    // Plain http is loopback-only here; production issuers are https (OIDC_ISSUER is checked at start-up).
    spa = await oidc.discovery(issuer, SPA.clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    service = await oidc.discovery(issuer, SERVICE.clientId, undefined, oidc.ClientSecretBasic(SERVICE.secret), {
      execute: [oidc.allowInsecureRequests],
    });
  });
  afterAll(() => t.close());

  /** The browser comes back to the SPA's callback with a code from a completed login journey, and iss (RFC 9207). */
  async function signIn() {
    const verifier = oidc.randomPKCECodeVerifier();
    const challenge = await oidc.calculatePKCECodeChallenge(verifier);
    const state = oidc.randomState();
    const login = await completeLogin(t, { challenge, scope: 'openid profile' });
    const callback = new URL(
      `${SPA.redirectUri}?code=${encodeURIComponent(login.code)}&state=${state}&iss=${encodeURIComponent(t.config.oidc.issuer)}`,
    );
    const tokens = await oidc.authorizationCodeGrant(spa, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: login.nonce,
      idTokenExpected: true,
    });
    return { login, tokens };
  }

  it('discovers the provider metadata', () => {
    const metadata = spa.serverMetadata();
    expect(metadata).toMatchObject({
      issuer: t.config.oidc.issuer,
      token_endpoint: `${t.config.oidc.issuer}/oauth2/token`,
      jwks_uri: `${t.config.oidc.issuer}/oauth2/jwks`,
      code_challenge_methods_supported: ['S256'],
      id_token_signing_alg_values_supported: ['ES256'],
    });
  });

  it('exchanges a code with PKCE for tokens whose JWTs verify against the JWKS', async () => {
    const { login, tokens } = await signIn();
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.claims()).toMatchObject({
      sub: login.cupid,
      aud: SPA.clientId,
      nonce: login.nonce,
      sid: login.sessionId,
      amr: ['pwd'],
      acr: 'urn:ciam:loa:1',
    });

    const jwks = createRemoteJWKSet(new URL(spa.serverMetadata().jwks_uri!));
    const access = await jwtVerify(tokens.access_token, jwks, {
      issuer: t.config.oidc.issuer,
      audience: t.config.oidc.accessTokenAudience,
      typ: 'at+jwt',
    });
    expect(access.payload).toMatchObject({
      sub: login.cupid,
      client_id: SPA.clientId,
      scope: 'openid profile',
      sid: login.sessionId,
      jti: expect.any(String),
    });
    expect(access.payload.exp! - access.payload.iat!).toBe(300);
    const id = await jwtVerify(tokens.id_token!, jwks, { issuer: t.config.oidc.issuer, audience: SPA.clientId });
    expect(id.payload).toMatchObject({ auth_time: expect.any(Number), at_hash: expect.any(String), amr: ['pwd'] });
    expect(decodeProtectedHeader(tokens.id_token!)).toMatchObject({ alg: 'ES256', kid: expect.any(String) });

    const rows = await t.dataSource.query(`SELECT type, status FROM tokens WHERE session_id = $1 ORDER BY type`, [
      login.sessionId,
    ]);
    expect(rows).toEqual([
      { type: 'ACCESS', status: 'ACTIVE' },
      { type: 'REFRESH', status: 'ACTIVE' },
      { type: 'ID', status: 'ACTIVE' },
    ]);
  });

  it('refreshes (rotating the refresh token), fetches userinfo, introspects and revokes', async () => {
    const { login, tokens } = await signIn();
    const refreshed = await oidc.refreshTokenGrant(spa, tokens.refresh_token!);
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.claims()?.sub).toBe(login.cupid);

    expect(await oidc.fetchUserInfo(spa, refreshed.access_token, login.cupid)).toEqual({
      sub: login.cupid,
      name: 'Alice Example',
      preferred_username: 'alice',
    });

    const active = await oidc.tokenIntrospection(service, refreshed.access_token);
    expect(active).toMatchObject({
      active: true,
      sub: login.cupid,
      client_id: SPA.clientId,
      token_type: 'Bearer',
      sid: login.sessionId,
    });
    expect(await oidc.tokenIntrospection(service, tokens.refresh_token!)).toEqual({ active: false });

    // Revoking the refresh token ends the session: every token of it stops working at once.
    await oidc.tokenRevocation(spa, refreshed.refresh_token!);
    expect(await oidc.tokenIntrospection(service, refreshed.access_token)).toEqual({ active: false });
    await expect(oidc.fetchUserInfo(spa, refreshed.access_token, login.cupid)).rejects.toThrow();
    await expect(oidc.refreshTokenGrant(spa, refreshed.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('issues a client_credentials token that introspection reports for the client itself', async () => {
    const tokens = await oidc.clientCredentialsGrant(service);
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.id_token).toBeUndefined();
    expect(await oidc.tokenIntrospection(service, tokens.access_token)).toMatchObject({
      active: true,
      sub: SERVICE.clientId,
      client_id: SERVICE.clientId,
    });
  });

  it('ends the session at end_session and returns to the registered post-logout URI', async () => {
    const { login, tokens } = await signIn();
    const url = oidc.buildEndSessionUrl(spa, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: SPA.postLogoutRedirectUri,
      state: 'bye',
    });
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${SPA.postLogoutRedirectUri}?state=bye`);
    const [session] = await t.dataSource.query('SELECT status, revoke_reason FROM sessions WHERE id = $1', [
      login.sessionId,
    ]);
    expect(session).toEqual({ status: 'REVOKED', revoke_reason: 'logout' });
    expect(await oidc.tokenIntrospection(service, tokens.access_token)).toEqual({ active: false });
  });

  it('refuses an unregistered post-logout URI without signing out', async () => {
    const { login, tokens } = await signIn();
    const url = oidc.buildEndSessionUrl(spa, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: 'https://evil.example/',
    });
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toBe('invalid_request');
    const [session] = await t.dataSource.query('SELECT status FROM sessions WHERE id = $1', [login.sessionId]);
    expect(session.status).toBe('ACTIVE');
  });
});
