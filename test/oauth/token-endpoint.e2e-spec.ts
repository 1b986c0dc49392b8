import { hashSecret } from '../../src/common/passwords';
import { useTestApp } from '../support/app';
import {
  auditEvents,
  completeLogin,
  exchangeCode,
  introspect,
  pkcePair,
  postForm,
  refresh,
  registerClient,
  registerStandardClients,
  SERVICE,
  SPA,
} from '../support/oauth';

/** Bad input at the token, introspection and revocation endpoints gets the RFC's error code, never a 500. */
describe('OAuth endpoints: errors by the RFCs', () => {
  const t = useTestApp({}, registerStandardClients);

  async function expectOAuthError(response: Response, status: number, error: string) {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await response.json();
    expect(body).toEqual({ error, error_description: expect.any(String) });
    return body as { error: string; error_description: string };
  }

  it('answers an unknown grant type with unsupported_grant_type', async () => {
    await expectOAuthError(
      await postForm(t, '/oauth2/token', { grant_type: 'password', client_id: SPA.clientId }),
      400,
      'unsupported_grant_type',
    );
  });

  it('answers a missing grant type, a repeated parameter and a JSON body with invalid_request', async () => {
    await expectOAuthError(await postForm(t, '/oauth2/token', { client_id: SPA.clientId }), 400, 'invalid_request');
    const repeated = await fetch(`${t.baseUrl}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=authorization_code&code=a&code=b&client_id=test-spa',
    });
    expect((await expectOAuthError(repeated, 400, 'invalid_request')).error_description).toMatch(/repeated/);
    const json = await fetch(`${t.baseUrl}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"grant_type":"client_credentials"}',
    });
    await expectOAuthError(json, 400, 'invalid_request');
    const malformed = await fetch(`${t.baseUrl}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"grant_type":',
    });
    await expectOAuthError(malformed, 400, 'invalid_request');
  });

  it('answers a wrong client secret with invalid_client (401 with a Basic challenge) and audits it', async () => {
    const response = await postForm(
      t,
      '/oauth2/token',
      { grant_type: 'client_credentials' },
      { id: SERVICE.clientId, secret: 'wrong-secret-value' },
    );
    await expectOAuthError(response, 401, 'invalid_client');
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic/);
    const unknown = await postForm(t, '/oauth2/token', {
      grant_type: 'client_credentials',
      client_id: 'nobody',
      client_secret: 'whatever-secret',
    });
    await expectOAuthError(unknown, 401, 'invalid_client');
    const events = await auditEvents(t, { type: 'client.authentication_failed' });
    expect(events.map((event) => event.client_id)).toEqual(expect.arrayContaining([SERVICE.clientId, 'nobody']));
    expect(JSON.stringify(events)).not.toContain('wrong-secret-value');
  });

  it('refuses a confidential client without its secret, and two authentication methods at once', async () => {
    await expectOAuthError(
      await postForm(t, '/oauth2/token', { grant_type: 'client_credentials', client_id: SERVICE.clientId }),
      401,
      'invalid_client',
    );
    const both = await postForm(
      t,
      '/oauth2/token',
      { grant_type: 'client_credentials', client_secret: SERVICE.secret },
      { id: SERVICE.clientId, secret: SERVICE.secret },
    );
    await expectOAuthError(both, 400, 'invalid_request');
  });

  it('accepts client_secret_post as well as client_secret_basic', async () => {
    const response = await postForm(t, '/oauth2/token', {
      grant_type: 'client_credentials',
      client_id: SERVICE.clientId,
      client_secret: SERVICE.secret,
    });
    expect(response.status).toBe(200);
  });

  it('answers a grant the client is not registered for with unauthorized_client', async () => {
    await expectOAuthError(
      await postForm(t, '/oauth2/token', { grant_type: 'client_credentials', client_id: SPA.clientId }),
      400,
      'unauthorized_client',
    );
  });

  it('answers a wrong redirect URI with invalid_grant, and the code is then spent', async () => {
    const login = await completeLogin(t);
    const body = await expectOAuthError(
      await exchangeCode(t, login, { redirect_uri: 'http://localhost:5173/other' }),
      400,
      'invalid_grant',
    );
    expect(body.error_description).toMatch(/redirect_uri/);
    await expectOAuthError(await exchangeCode(t, login), 400, 'invalid_grant');
  });

  it('answers a missing or malformed verifier with invalid_request, and a wrong one with invalid_grant', async () => {
    const login = await completeLogin(t);
    await expectOAuthError(await exchangeCode(t, login, { code_verifier: '' }), 400, 'invalid_request');
    await expectOAuthError(await exchangeCode(t, login, { code_verifier: 'short' }), 400, 'invalid_request');
    const wrong = await expectOAuthError(
      await exchangeCode(t, login, { code_verifier: pkcePair().verifier }),
      400,
      'invalid_grant',
    );
    expect(wrong.error_description).toBe('PKCE verification failed');
  });

  it('answers an expired code (60 s) with invalid_grant', async () => {
    const login = await completeLogin(t);
    t.clock.advance(61);
    const body = await expectOAuthError(await exchangeCode(t, login), 400, 'invalid_grant');
    expect(body.error_description).toBe('authorization code expired');
  });

  it('answers an unknown code with invalid_grant', async () => {
    const login = await completeLogin(t);
    await expectOAuthError(await exchangeCode(t, { ...login, code: 'not-a-code' }), 400, 'invalid_grant');
  });

  it('on a replayed code, refuses it and revokes everything the first redemption issued', async () => {
    const login = await completeLogin(t);
    const first = await exchangeCode(t, login);
    expect(first.status).toBe(200);
    const tokens = await first.json();
    await expectOAuthError(await exchangeCode(t, login), 400, 'invalid_grant');
    expect(await introspect(t, tokens.access_token)).toEqual({ active: false });
    expect(await introspect(t, tokens.refresh_token)).toEqual({ active: false });
    const [session] = await t.dataSource.query('SELECT status, revoke_reason FROM sessions WHERE id = $1', [
      login.sessionId,
    ]);
    expect(session).toEqual({ status: 'REVOKED', revoke_reason: 'authorization code replayed' });
    expect(await auditEvents(t, { sessionId: login.sessionId, type: 'authorization_code.replayed' })).toHaveLength(1);
  });

  it('redeems a code once when 20 clients race for it', async () => {
    const login = await completeLogin(t);
    const responses = await Promise.all(Array.from({ length: 20 }, () => exchangeCode(t, login)));
    expect(responses.filter((response) => response.status === 200)).toHaveLength(1);
    expect(responses.filter((response) => response.status === 400)).toHaveLength(19);
    const issued = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM tokens WHERE session_id = $1 AND type = 'ACCESS'`,
      [login.sessionId],
    );
    expect(issued[0].n).toBe(1);
  });

  it('refuses a code presented by another client', async () => {
    await registerClient(t, {
      clientId: 'other-spa',
      name: 'Other',
      type: 'PUBLIC',
      redirectUris: [SPA.redirectUri],
      grantTypes: ['authorization_code'],
    });
    const login = await completeLogin(t);
    const body = await expectOAuthError(await exchangeCode(t, login, { client_id: 'other-spa' }), 400, 'invalid_grant');
    expect(body.error_description).toBe('authorization code was issued to another client');
  });

  it('answers a scope beyond the grant with invalid_scope on refresh', async () => {
    const login = await completeLogin(t);
    const tokens = await (await exchangeCode(t, login)).json();
    const response = await postForm(t, '/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: SPA.clientId,
      scope: 'openid email',
    });
    await expectOAuthError(response, 400, 'invalid_scope');
    const narrowed = await postForm(t, '/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: SPA.clientId,
      scope: 'openid',
    });
    expect(narrowed.status).toBe(200);
    expect((await narrowed.json()).scope).toBe('openid');
  });

  it('introspection: only for clients allowed to introspect; inactive tokens say only active:false', async () => {
    const publicClient = await postForm(t, '/oauth2/introspect', { token: 'x', client_id: SPA.clientId });
    await expectOAuthError(publicClient, 403, 'unauthorized_client');
    const noClient = await postForm(t, '/oauth2/introspect', { token: 'x' });
    await expectOAuthError(noClient, 401, 'invalid_client');
    expect(await introspect(t, 'garbage')).toEqual({ active: false });
    const login = await completeLogin(t);
    const tokens = await (await exchangeCode(t, login)).json();
    expect(await introspect(t, tokens.id_token)).toEqual({ active: false }); // ID tokens are not access credentials
    t.clock.advance(301);
    expect(await introspect(t, tokens.access_token)).toEqual({ active: false });
  });

  it("revocation: always 200, but a client cannot revoke another client's token", async () => {
    const login = await completeLogin(t);
    const tokens = await (await exchangeCode(t, login)).json();
    const foreign = await postForm(
      t,
      '/oauth2/revoke',
      { token: tokens.access_token },
      { id: SERVICE.clientId, secret: SERVICE.secret },
    );
    expect(foreign.status).toBe(200);
    expect(await introspect(t, tokens.access_token)).toMatchObject({ active: true });
    expect((await postForm(t, '/oauth2/revoke', { token: 'unknown', client_id: SPA.clientId })).status).toBe(200);
    const own = await postForm(t, '/oauth2/revoke', { token: tokens.access_token, client_id: SPA.clientId });
    expect(own.status).toBe(200);
    expect(await introspect(t, tokens.access_token)).toEqual({ active: false });
    expect((await refresh(t, tokens.refresh_token)).status).toBe(200); // only that access token
  });

  it('userinfo: 401 with a Bearer challenge for a missing, unknown or expired token', async () => {
    const missing = await fetch(`${t.baseUrl}/oauth2/userinfo`);
    await expectOAuthError(missing, 401, 'invalid_token');
    // RFC 6750 §3.1: no credentials at all, no error code in the challenge.
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="ciam"');
    await expectOAuthError(
      await fetch(`${t.baseUrl}/oauth2/userinfo`, { headers: { authorization: 'Bearer abc.def.ghi' } }),
      401,
      'invalid_token',
    );
    const login = await completeLogin(t, { scope: 'openid' });
    const tokens = await (await exchangeCode(t, login)).json();
    const ok = await fetch(`${t.baseUrl}/oauth2/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(await ok.json()).toEqual({ sub: login.cupid });
    t.clock.advance(301);
    await expectOAuthError(
      await fetch(`${t.baseUrl}/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
      401,
      'invalid_token',
    );
  });

  it('never writes a code, verifier, secret or token into the logs', async () => {
    const login = await completeLogin(t);
    const tokens = await (await exchangeCode(t, login)).json();
    await postForm(
      t,
      '/oauth2/introspect',
      { token: tokens.access_token },
      { id: SERVICE.clientId, secret: SERVICE.secret },
    );
    const logs = t.rawLogs();
    for (const secret of [
      login.code,
      login.verifier,
      SERVICE.secret,
      tokens.access_token,
      tokens.refresh_token,
      tokens.id_token,
    ]) {
      expect(logs).not.toContain(secret);
    }
    const audit = JSON.stringify(await t.dataSource.query('SELECT details FROM audit_logs'));
    for (const secret of [login.code, login.verifier, SERVICE.secret, tokens.refresh_token])
      expect(audit).not.toContain(secret);
  });
});

describe('client secret verification', () => {
  const t = useTestApp({}, registerStandardClients);
  const clientCredentials = (secret: string) =>
    postForm(t, '/oauth2/token', { grant_type: 'client_credentials' }, { id: SERVICE.clientId, secret });

  it('remembers a verified secret briefly, but never a wrong one, and forgets it when the secret is rotated', async () => {
    expect((await clientCredentials(SERVICE.secret)).status).toBe(200);
    expect((await clientCredentials(SERVICE.secret)).status).toBe(200);
    expect((await clientCredentials('wrong-secret-value')).status).toBe(401);
    // A new secret (a new hash) makes the remembered verification of the old one worthless at once.
    await t.dataSource.query(`UPDATE oauth_clients SET secret_hash = $2 WHERE client_id = $1`, [
      SERVICE.clientId,
      await hashSecret('a-brand-new-secret-0123456789'),
    ]);
    expect((await clientCredentials(SERVICE.secret)).status).toBe(401);
    expect((await clientCredentials('a-brand-new-secret-0123456789')).status).toBe(200);
    await t.dataSource.query(`UPDATE oauth_clients SET active = false WHERE client_id = $1`, [SERVICE.clientId]);
    expect((await clientCredentials('a-brand-new-secret-0123456789')).status).toBe(401);
  });
});

describe('failed client authentication', () => {
  const t = useTestApp({ env: { LOCKOUT_CLIENT_FAILURE_LIMIT: '3' } }, registerStandardClients);

  it('locks a client id out after repeated wrong secrets, for every instance, before any hashing', async () => {
    for (let i = 0; i < 3; i += 1) {
      expect(
        (
          await postForm(
            t,
            '/oauth2/token',
            { grant_type: 'client_credentials' },
            { id: SERVICE.clientId, secret: `wrong-${i}-secret-value` },
          )
        ).status,
      ).toBe(401);
    }
    const locked = await postForm(
      t,
      '/oauth2/token',
      { grant_type: 'client_credentials' },
      { id: SERVICE.clientId, secret: SERVICE.secret },
    );
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
    expect(await locked.json()).toEqual({
      error: 'invalid_client',
      error_description: expect.stringMatching(/too many/),
    });
    const [event] = await auditEvents(t, { type: 'lockout.engaged' });
    expect(event.details).toMatchObject({ subject: 'client', failures: 3 });
    // Public clients (no secret) are not locked by it.
    expect((await postForm(t, '/oauth2/revoke', { token: 'x', client_id: SPA.clientId })).status).toBe(200);
    t.clock.advance(901);
    expect(
      (
        await postForm(
          t,
          '/oauth2/token',
          { grant_type: 'client_credentials' },
          { id: SERVICE.clientId, secret: SERVICE.secret },
        )
      ).status,
    ).toBe(200);
  });
});
