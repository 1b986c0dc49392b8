import { startTestApp, useTestApp } from '../support/app';
import {
  auditEvents,
  completeLogin,
  exchangeCode,
  introspect,
  postForm,
  refresh,
  registerClient,
  registerStandardClients,
} from '../support/oauth';

/**
 * Scenario 6 (SCENARIOS.md): the client exchanges its refresh token; the old one is marked rotated, a new
 * one is issued in the same family with its parent kept; presenting a rotated token again is theft.
 */
describe('scenario 6: token refresh with rotation and theft detection', () => {
  const t = useTestApp({}, registerStandardClients);

  async function signedIn() {
    const login = await completeLogin(t);
    const response = await exchangeCode(t, login);
    expect(response.status).toBe(200);
    return {
      login,
      tokens: (await response.json()) as { access_token: string; refresh_token: string; id_token: string },
    };
  }

  const tokenRow = async (id: string) => (await t.dataSource.query('SELECT * FROM tokens WHERE id = $1', [id]))[0];
  const refreshRows = (sessionId: string) =>
    t.dataSource.query(
      `SELECT id, status, family_id, parent_id FROM tokens WHERE session_id = $1 AND type = 'REFRESH' ORDER BY created_at`,
      [sessionId],
    );

  it('rotates: old token ROTATED, new one in the same family with its parent, and a new access token', async () => {
    const { login, tokens } = await signedIn();
    const response = await refresh(t, tokens.refresh_token);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const rotated = await response.json();
    expect(rotated).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'openid profile',
      refresh_token: expect.any(String),
      id_token: expect.any(String),
    });
    expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
    expect(rotated.access_token).not.toBe(tokens.access_token);

    const rows = await refreshRows(login.sessionId);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ status: 'ROTATED' });
    expect(rows[1]).toMatchObject({ status: 'ACTIVE', family_id: rows[0].family_id, parent_id: rows[0].id });
    expect((await tokenRow(rows[0].id)).rotated_at).not.toBeNull();

    // The new pair works; the old access token keeps working until it expires (it was not stolen).
    // A refresh token is described only to the client it was issued to (test/security/rfc7662-introspection).
    expect(await introspect(t, rotated.refresh_token)).toEqual({ active: false });
    expect(await introspect(t, rotated.access_token)).toMatchObject({
      active: true,
      token_type: 'Bearer',
      sub: login.cupid,
    });
    expect(await introspect(t, tokens.refresh_token)).toEqual({ active: false });
    const events = (await auditEvents(t, { sessionId: login.sessionId })).map((event) => event.event_type);
    expect(events).toEqual(
      expect.arrayContaining([
        'session.created',
        'authorization_code.issued',
        'tokens.issued',
        'refresh_token.rotated',
      ]),
    );
  });

  it('returns the same successor to a retry within the grace window, without forking the family', async () => {
    const { login, tokens } = await signedIn();
    const first = await (await refresh(t, tokens.refresh_token)).json();
    t.clock.advance(5);
    const retry = await refresh(t, tokens.refresh_token);
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual(first);
    const rows = await refreshRows(login.sessionId);
    expect(rows.map((row: { status: string }) => row.status)).toEqual(['ROTATED', 'ACTIVE']);
    expect(await auditEvents(t, { sessionId: login.sessionId, type: 'refresh_token.grace_retry' })).toHaveLength(1);
  });

  it('treats a rotated token presented after the grace window as theft: family and session revoked, audited', async () => {
    const { login, tokens } = await signedIn();
    const successor = await (await refresh(t, tokens.refresh_token)).json();
    t.clock.advance(11);
    const replay = await refresh(t, tokens.refresh_token);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'refresh token was already used',
    });

    const rows = await refreshRows(login.sessionId);
    expect(rows.map((row: { status: string }) => row.status)).toEqual(['REVOKED', 'REVOKED']);
    const [session] = await t.dataSource.query('SELECT status, revoke_reason FROM sessions WHERE id = $1', [
      login.sessionId,
    ]);
    expect(session).toEqual({ status: 'REVOKED', revoke_reason: 'refresh token reuse detected' });
    // The session's end reaches its other tokens through their session (the access tokens' rows stay ACTIVE).
    const live = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM tokens t JOIN sessions s ON s.id = t.session_id WHERE t.session_id = $1 AND t.status = 'ACTIVE' AND s.status = 'ACTIVE'`,
      [login.sessionId],
    );
    expect(live[0].n).toBe(0);

    // The legitimate holder's successor is dead too, and so is every access token of the session.
    expect((await refresh(t, successor.refresh_token)).status).toBe(400);
    expect(await introspect(t, successor.access_token)).toEqual({ active: false });
    expect(await introspect(t, tokens.access_token)).toEqual({ active: false });
    const [theft] = await auditEvents(t, { sessionId: login.sessionId, type: 'refresh_token.reuse_detected' });
    expect(theft).toMatchObject({ outcome: 'FAILURE', cupid: login.cupid, details: { familyTokensRevoked: 2 } });
  });

  it('treats reuse as theft even within the window once the successor has been used', async () => {
    const { login, tokens } = await signedIn();
    const successor = await (await refresh(t, tokens.refresh_token)).json();
    expect((await refresh(t, successor.refresh_token)).status).toBe(200);
    const replay = await refresh(t, tokens.refresh_token);
    expect(replay.status).toBe(400);
    const [session] = await t.dataSource.query('SELECT status FROM sessions WHERE id = $1', [login.sessionId]);
    expect(session.status).toBe('REVOKED');
  });

  it('lets 20 concurrent refreshes with one token produce exactly one live successor and one family', async () => {
    const { login, tokens } = await signedIn();
    const responses = await Promise.all(Array.from({ length: 20 }, () => refresh(t, tokens.refresh_token)));
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    const bodies = await Promise.all(responses.map((response) => response.json()));
    expect(new Set(bodies.map((body) => body.refresh_token)).size).toBe(1);
    expect(new Set(bodies.map((body) => body.access_token)).size).toBe(1);

    const rows = await refreshRows(login.sessionId);
    expect(rows.filter((row: { status: string }) => row.status === 'ACTIVE')).toHaveLength(1);
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((row: { family_id: string }) => row.family_id)).size).toBe(1);
    expect((await refresh(t, bodies[0].refresh_token)).status).toBe(200);
  });

  it('with the grace window disabled, two racing refreshes give one success and revoke the family', async () => {
    const strict = await startTestApp({ env: { REFRESH_TOKEN_GRACE_SECONDS: '0' } });
    try {
      await registerStandardClients(strict);
      const login = await completeLogin(strict);
      const tokens = await (await exchangeCode(strict, login)).json();
      const responses = await Promise.all(Array.from({ length: 10 }, () => refresh(strict, tokens.refresh_token)));
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);
      expect(statuses.filter((status) => status === 400)).toHaveLength(9);
      const live = await strict.dataSource.query(
        `SELECT count(*)::int AS n FROM tokens t JOIN sessions s ON s.id = t.session_id WHERE t.session_id = $1 AND t.status = 'ACTIVE' AND s.status = 'ACTIVE'`,
        [login.sessionId],
      );
      expect(live[0].n).toBe(0);
    } finally {
      await strict.close();
    }
  });

  it('refuses a refresh token presented by another client, and one past its idle window', async () => {
    const { login, tokens } = await signedIn();
    await registerClient(t, {
      clientId: 'other-spa',
      name: 'Other SPA',
      type: 'PUBLIC',
      redirectUris: ['http://localhost:5174/callback'],
      grantTypes: ['authorization_code', 'refresh_token'],
    });
    const foreign = await postForm(t, '/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: 'other-spa',
    });
    expect(foreign.status).toBe(400);
    expect(await foreign.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'refresh token was issued to another client',
    });

    t.clock.advance(31 * 60); // past the 30-minute idle window
    const idle = await refresh(t, tokens.refresh_token);
    expect(idle.status).toBe(400);
    expect(await idle.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'refresh token is expired or revoked',
    });
    t.clock.reset();
    const [session] = await t.dataSource.query('SELECT status FROM sessions WHERE id = $1', [login.sessionId]);
    expect(session.status).toBe('ACTIVE'); // expiry is not theft
  });
});
