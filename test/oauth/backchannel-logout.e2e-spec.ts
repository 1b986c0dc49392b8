import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import { ClientsService } from '../../src/clients/clients.service';
import { JobRunner } from '../../src/jobs/job-runner';
import { BACKCHANNEL_LOGOUT_EVENT } from '../../src/logout/logout-token';
import { startTestApp } from '../support/app';
import type { TestApp } from '../support/app';
import { cli } from '../support/cli';
import { newToken } from '../support/factories';
import { completeLogin, exchangeCode, refresh, registerStandardClients, SPA } from '../support/oauth';
import { VendorServer } from '../support/vendor-server';
import { useWorkforceIdp } from '../support/workforce';

/**
 * OpenID Connect Back-Channel Logout 1.0 (issue 15 item 4): whenever a session ends, each client of that
 * session that registered a back-channel logout URI receives a logout token, POSTed by the outbox to a
 * relying-party server the test runs, and verified here as a relying party would: against the JWKS, with
 * jose. Retried after a 500, dead-lettered after the last attempt.
 */
describe('back-channel logout', () => {
  const { idp, env: agentEnv } = useWorkforceIdp();
  const rp = new VendorServer();
  let t: TestApp;
  let spa: oidc.Configuration;
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  beforeAll(async () => {
    await rp.start();
    t = await startTestApp({
      env: {
        ...agentEnv,
        OUTBOX_DELIVERY_ENABLED: 'true',
        OUTBOX_POLL_INTERVAL_MS: '50',
        OUTBOX_BACKOFF_BASE_MS: '20',
        OUTBOX_BACKOFF_MAX_MS: '100',
        OUTBOX_MAX_ATTEMPTS: '3',
        REFRESH_TOKEN_GRACE_SECONDS: '0',
      },
    });
    await registerStandardClients(t);
    const clients = t.app.get(ClientsService);
    // The SPA registers its URI after the fact (clients:set-backchannel-logout); a second app at registration.
    expect(await clients.setBackchannelLogout(SPA.clientId, `${rp.url}/spa/backchannel`, true)).toBe(true);
    await clients.register({
      clientId: 'rp-brokerage',
      name: 'Brokerage',
      type: 'CONFIDENTIAL',
      secret: 'brokerage-secret-0123456789',
      grantTypes: ['client_credentials'],
      backchannelLogoutUri: `${rp.url}/brokerage/backchannel`,
    });
    await clients.register({
      clientId: 'rp-quiet',
      name: 'No back-channel',
      type: 'CONFIDENTIAL',
      secret: 'quiet-secret-0123456789',
      grantTypes: ['client_credentials'],
    });
    spa = await oidc.discovery(new URL(t.config.oidc.issuer), SPA.clientId, undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    jwks = createRemoteJWKSet(new URL(spa.serverMetadata().jwks_uri!));
  });
  afterAll(async () => {
    await t?.close();
    await rp.stop();
  });
  beforeEach(() => {
    rp.requests.length = 0;
    rp.always({ kind: 'status', status: 200 });
  });

  async function signIn(cupid = 'CUPID-ALICE-0001') {
    const login = await completeLogin(t, { cupid, scope: 'openid profile offline_access' });
    const response = await exchangeCode(t, login);
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as { id_token: string; refresh_token: string; access_token: string };
    return { login, tokens };
  }

  /** The logout tokens POSTed to `path` for session `sid`, verified as the relying party would (§2.6). */
  async function logoutTokensFor(path: string, sid: string, audience: string): Promise<JWTPayload[]> {
    const verified: JWTPayload[] = [];
    for (const request of rp.requests.filter((r) => r.url === path)) {
      expect(request.method).toBe('POST');
      expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
      const token = new URLSearchParams(request.body).get('logout_token')!;
      expect(decodeProtectedHeader(token).typ).toBe('logout+jwt');
      const { payload } = await jwtVerify(token, jwks, {
        issuer: t.config.oidc.issuer,
        audience,
        typ: 'logout+jwt',
        algorithms: ['ES256'],
        requiredClaims: ['iat', 'exp', 'jti'],
      });
      if (payload.sid === sid) verified.push(payload);
    }
    return verified;
  }

  async function expectLogoutToken(path: string, sid: string, cupid: string, audience = SPA.clientId) {
    await waitFor(async () => (await logoutTokensFor(path, sid, audience)).length > 0, `a logout token at ${path}`);
    const [payload] = await logoutTokensFor(path, sid, audience);
    expect(payload).toEqual({
      iss: t.config.oidc.issuer,
      aud: audience,
      iat: expect.any(Number),
      exp: expect.any(Number),
      jti: expect.any(String),
      sub: cupid,
      sid,
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    });
    // §2.4: a logout token never carries a nonce (so it cannot pass for an ID token).
    expect(payload).not.toHaveProperty('nonce');
    return payload;
  }

  it('advertises back-channel logout with sid in discovery', () => {
    expect(spa.serverMetadata()).toMatchObject({
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
    });
  });

  it('RP-initiated logout notifies every client of the session that registered a URI, and no other', async () => {
    const { login, tokens } = await signIn();
    // The session also signed in the brokerage and a client without a back-channel URI (single sign-on: each is in
    // the session's client list and holds a token under it).
    await t.dataSource.query(
      `UPDATE sessions SET client_ids = client_ids || ARRAY['rp-brokerage', 'rp-quiet'] WHERE id = $1`,
      [login.sessionId],
    );
    await newToken(t.dataSource, { clientId: 'rp-brokerage', sessionId: login.sessionId, cupid: login.cupid });
    await newToken(t.dataSource, { clientId: 'rp-quiet', sessionId: login.sessionId, cupid: login.cupid });
    const url = oidc.buildEndSessionUrl(spa, {
      id_token_hint: tokens.id_token,
      post_logout_redirect_uri: SPA.postLogoutRedirectUri,
    });
    expect((await fetch(url, { redirect: 'manual' })).status).toBe(302);

    const spaToken = await expectLogoutToken('/spa/backchannel', login.sessionId, login.cupid);
    const brokerageToken = await expectLogoutToken(
      '/brokerage/backchannel',
      login.sessionId,
      login.cupid,
      'rp-brokerage',
    );
    expect(spaToken.jti).not.toBe(brokerageToken.jti);
    // Two deliveries, not three: rp-quiet registered no URI.
    expect(rp.requests.map((r) => r.url).sort()).toEqual(['/brokerage/backchannel', '/spa/backchannel']);
    // The ID token's sid is the logout token's sid: the relying party finds its session by it.
    expect(
      (await jwtVerify(tokens.id_token, jwks, { issuer: t.config.oidc.issuer, audience: SPA.clientId })).payload.sid,
    ).toBe(spaToken.sid);
    const audit = await t.dataSource.query<Array<{ event_type: string; details: Record<string, unknown> }>>(
      `SELECT event_type, details FROM audit_logs WHERE event_type = 'outbox.delivered' AND details->>'channel' = 'backchannel_logout'
          AND details->>'destination' = 'rp-brokerage'`,
    );
    expect(audit.length).toBeGreaterThanOrEqual(1);
  });

  it('notifies a client that signed in under the session by single sign-on (sessions.client_ids)', async () => {
    const { login, tokens } = await signIn();
    // As an SSO code issued to the brokerage under this session leaves it (no token of it yet).
    await t.dataSource.query(`UPDATE sessions SET client_ids = client_ids || ARRAY['rp-brokerage'] WHERE id = $1`, [
      login.sessionId,
    ]);
    const url = oidc.buildEndSessionUrl(spa, { id_token_hint: tokens.id_token });
    expect((await fetch(url, { redirect: 'manual' })).status).toBeLessThan(400);
    await expectLogoutToken('/brokerage/backchannel', login.sessionId, login.cupid, 'rp-brokerage');
  });

  it('an agent revoking the session notifies its clients', async () => {
    const { login } = await signIn();
    const response = await fetch(`${t.baseUrl}/agent/customers/${login.cupid}/sessions/${login.sessionId}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await idp.token()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'customer called: phone stolen' }),
    });
    expect(response.status).toBeLessThan(300);
    await expectLogoutToken('/spa/backchannel', login.sessionId, login.cupid);
  });

  it('the customer ending a session in /me notifies its clients', async () => {
    const { login, tokens } = await signIn();
    const response = await fetch(`${t.baseUrl}/me/sessions/${login.sessionId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(response.status).toBe(204);
    await expectLogoutToken('/spa/backchannel', login.sessionId, login.cupid);
  });

  it('refresh-token reuse ends the session and notifies its clients', async () => {
    const { login, tokens } = await signIn();
    expect((await refresh(t, tokens.refresh_token)).status).toBe(200);
    // The rotated token again, past the grace window (0 here): reuse, the whole session ends.
    expect((await refresh(t, tokens.refresh_token)).status).toBe(400);
    await expectLogoutToken('/spa/backchannel', login.sessionId, login.cupid);
  });

  it('a directory disable found at refresh ends the session and notifies its clients', async () => {
    const { login, tokens } = await signIn('CUPID-DAVE-0004');
    expect((await refresh(t, tokens.refresh_token)).status).toBe(400);
    await expectLogoutToken('/spa/backchannel', login.sessionId, login.cupid);
  });

  it('idle expiry by the expire-sessions job notifies the session’s clients', async () => {
    const { login } = await signIn();
    t.clock.advance(t.config.sessions.idleTtlSeconds + 60);
    expect(await t.app.get(JobRunner).run('expire-sessions')).toMatchObject({ status: 'ran' });
    await expectLogoutToken('/spa/backchannel', login.sessionId, login.cupid);
    const [session] = await t.dataSource.query('SELECT status FROM sessions WHERE id = $1', [login.sessionId]);
    expect(session.status).toBe('EXPIRED');
  });

  it('retries after the relying party answered 500, with the same jti', async () => {
    rp.next({ kind: 'status', status: 500 });
    const { login } = await signIn();
    await fetch(`${t.baseUrl}/agent/customers/${login.cupid}/sessions/${login.sessionId}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await idp.token()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'retry test' }),
    });
    await waitFor(
      async () => (await logoutTokensFor('/spa/backchannel', login.sessionId, SPA.clientId)).length === 2,
      'the retry',
    );
    const [first, second] = await logoutTokensFor('/spa/backchannel', login.sessionId, SPA.clientId);
    // One logout, delivered twice at least once: the relying party dedupes on jti.
    expect(second.jti).toBe(first.jti);
    await waitFor(async () => (await messageStates(login.sessionId)).includes('DELIVERED'), 'the delivery');
  });

  it('dead-letters after the maximum attempts, visible to operators', async () => {
    rp.always({ kind: 'status', status: 503 });
    const { login } = await signIn();
    await fetch(`${t.baseUrl}/agent/customers/${login.cupid}/sessions/${login.sessionId}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await idp.token()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'dead-letter test' }),
    });
    await waitFor(async () => (await messageStates(login.sessionId)).includes('DEAD'), 'the dead letter');
    expect((await logoutTokensFor('/spa/backchannel', login.sessionId, SPA.clientId)).length).toBe(3);
    const [dead] = await t.dataSource.query<Array<{ attempts: number; last_error: string }>>(
      `SELECT attempts, last_error FROM outbox_messages WHERE channel = 'backchannel_logout' AND payload->>'sid' = $1`,
      [login.sessionId],
    );
    expect(dead).toEqual({ attempts: 3, last_error: 'backchannel-logout unavailable: HTTP 503' });
  });

  it('operators set or remove the URI with the CLI; a non-https URI is refused', async () => {
    const refused = await cli(
      t,
      'clients:set-backchannel-logout',
      '--id',
      'rp-quiet',
      '--backchannel-logout-uri',
      'http://rp.example/backchannel',
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('must be an https URL (http only on loopback)');
    const set = await cli(
      t,
      'clients:set-backchannel-logout',
      '--id',
      'rp-quiet',
      '--backchannel-logout-uri',
      'https://quiet.example/backchannel',
    );
    expect(set.code).toBe(0);
    // Without a URI it is removed (the service call behind the CLI; one CLI process less in this spec).
    expect(await t.app.get(ClientsService).setBackchannelLogout('rp-quiet', null, false)).toBe(true);
    const rows = await t.dataSource.query(
      `SELECT details FROM audit_logs WHERE event_type = 'client.updated' AND client_id = 'rp-quiet' ORDER BY created_at`,
    );
    expect(
      rows.map((row: { details: { backchannelLogoutUri: string | null } }) => row.details.backchannelLogoutUri),
    ).toEqual(['https://quiet.example/backchannel', null]);
  }, 180_000);

  const messageStates = async (sid: string) =>
    (
      await t.dataSource.query<Array<{ state: string }>>(
        `SELECT state FROM outbox_messages WHERE channel = 'backchannel_logout' AND payload->>'sid' = $1`,
        [sid],
      )
    ).map((row) => row.state);

  async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
});
