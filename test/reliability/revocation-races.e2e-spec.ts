import type { TestApp } from '../support/app';
import { startTestApp } from '../support/app';
import { newDevice } from '../support/factories';
import {
  completeLogin,
  exchangeCode,
  introspect,
  postForm,
  refresh,
  registerStandardClients,
  SPA,
} from '../support/oauth';
import { useWorkforceIdp } from '../support/workforce';

/**
 * Revocation wins every race (issue 13, item 1). Three instances share one PostgreSQL; for each session a
 * revocation (agent, customer sign-out via /me, end_session, RFC 7009, device revocation) is sent at the
 * same moment as two refreshes with its refresh token, each request to a different instance. Before the
 * fix, refresh locked token then session and revocation session then tokens: PostgreSQL broke the
 * deadlock by failing one of them (a 500), and a successor issued by the racing refresh kept working.
 *
 * Afterwards: no 5xx, every revocation answered as it does without a race, no transaction had to be
 * retried for a deadlock, and no token of those sessions (initial or any successor) works anywhere.
 */
describe('revocation wins every race (three instances, one database)', () => {
  const { idp, env } = useWorkforceIdp();
  const apps: TestApp[] = [];
  const CUPID = 'CUPID-ALICE-0001';

  beforeAll(async () => {
    const first = await startTestApp({ env });
    await registerStandardClients(first);
    // One service behind a load balancer: one issuer for every instance.
    const shared = { env: { ...env, OIDC_ISSUER: first.config.oidc.issuer }, database: first.database };
    apps.push(first, await startTestApp(shared), await startTestApp(shared));
  });
  afterAll(async () => {
    // The first instance owns the database: it closes last.
    for (const app of [...apps].reverse()) await app.close();
  });

  interface Signed {
    sessionId: string;
    deviceId: string | null;
    access_token: string;
    refresh_token: string;
    id_token: string;
  }

  async function signIn(withDevice: boolean): Promise<Signed> {
    const [app] = apps;
    let deviceId: string | null = null;
    if (withDevice) {
      // A bound device, as the device-bind step leaves it (only its key's thumbprint matters here).
      deviceId = await newDevice(app.dataSource, { cupid: CUPID, name: 'race phone' });
    }
    const login = await completeLogin(app, {
      cupid: CUPID,
      scope: 'openid profile',
      trustedDeviceId: deviceId ?? undefined,
    });
    const response = await exchangeCode(app, login);
    expect(response.status).toBe(200);
    return { sessionId: login.sessionId, deviceId, ...(await response.json()) };
  }

  const agentPost = async (app: TestApp, path: string, body: unknown) =>
    fetch(`${app.baseUrl}/agent/customers/${CUPID}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await idp.token()}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  type Kind = 'agent' | 'me' | 'end_session' | 'rfc7009' | 'device';
  const revocations: Record<Kind, { status: number; send(app: TestApp, session: Signed): Promise<Response> }> = {
    agent: {
      status: 200,
      send: (app, s) => agentPost(app, `/sessions/${s.sessionId}/revoke`, { reason: 'race: stolen laptop' }),
    },
    me: {
      status: 204,
      send: (app, s) =>
        fetch(`${app.baseUrl}/me/sessions/${s.sessionId}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${s.access_token}` },
        }),
    },
    end_session: {
      status: 200,
      send: (app, s) => fetch(`${app.baseUrl}/oauth2/end_session?id_token_hint=${encodeURIComponent(s.id_token)}`),
    },
    rfc7009: {
      status: 200,
      send: (app, s) => postForm(app, '/oauth2/revoke', { token: s.refresh_token, client_id: SPA.clientId }),
    },
    device: {
      status: 204,
      send: (app, s) => agentPost(app, `/devices/${s.deviceId}/revoke`, { reason: 'race: lost phone' }),
    },
  };

  /** Every token a session ever handed out, from its sign-in and from any refresh that succeeded. */
  async function collect(responses: Response[], into: { access: string[]; refresh: string[] }): Promise<void> {
    for (const response of responses) {
      if (response.status !== 200) continue;
      const body = await response.json();
      into.access.push(body.access_token);
      into.refresh.push(body.refresh_token);
    }
  }

  /** Nothing of these sessions works on any instance: refresh, introspection, userinfo, self-service. */
  async function expectAllDead(sessionIds: string[], tokens: { access: string[]; refresh: string[] }): Promise<void> {
    const sessions = await apps[0].dataSource.query(`SELECT status FROM sessions WHERE id = ANY($1::uuid[])`, [
      sessionIds,
    ]);
    expect(sessions).toHaveLength(sessionIds.length);
    expect(sessions.every((row: { status: string }) => row.status === 'REVOKED')).toBe(true);
    const checks = await Promise.all([
      ...tokens.refresh.map(async (token, i) => (await refresh(apps[i % 3], token)).status),
      ...tokens.access.flatMap((token, i) => [
        introspect(apps[i % 3], token).then((body) => (body.active === false ? 401 : 200)),
        fetch(`${apps[(i + 1) % 3].baseUrl}/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } }).then(
          (r) => r.status,
        ),
        fetch(`${apps[(i + 2) % 3].baseUrl}/me/sessions`, { headers: { authorization: `Bearer ${token}` } }).then(
          (r) => r.status,
        ),
      ]),
    ]);
    const refreshStatuses = checks.slice(0, tokens.refresh.length);
    expect(refreshStatuses.every((status) => status === 400)).toBe(true);
    expect(checks.slice(tokens.refresh.length).every((status) => status === 401)).toBe(true);
  }

  function expectNoDeadlockRetries(): void {
    const retried = apps.flatMap((app) => app.logLines()).filter((line) => line.sqlstate === '40P01');
    expect(retried).toEqual([]);
  }

  it('one revocation and two refreshes per session, on different instances: 0 5xx, and every token of it dead afterwards', async () => {
    const kinds: Kind[] = ['agent', 'me', 'end_session', 'rfc7009', 'device'];
    const perKind = 6;
    const sessions: Array<{ kind: Kind; session: Signed }> = [];
    for (const kind of kinds) {
      for (let i = 0; i < perKind; i += 1) sessions.push({ kind, session: await signIn(kind === 'device') });
    }

    const results = await Promise.all(
      sessions.map(async ({ kind, session }, i) => {
        const [revocation, ...refreshes] = await Promise.all([
          revocations[kind].send(apps[(i + 2) % 3], session),
          refresh(apps[i % 3], session.refresh_token),
          refresh(apps[(i + 1) % 3], session.refresh_token),
        ]);
        return { kind, session, revocation, refreshes };
      }),
    );

    const statuses = results.flatMap((result) => [
      result.revocation.status,
      ...result.refreshes.map((response) => response.status),
    ]);
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    for (const result of results) {
      expect({ kind: result.kind, status: result.revocation.status }).toEqual({
        kind: result.kind,
        status: revocations[result.kind].status,
      });
      for (const response of result.refreshes) expect([200, 400]).toContain(response.status);
    }

    const tokens = {
      access: sessions.map(({ session }) => session.access_token),
      refresh: sessions.map(({ session }) => session.refresh_token),
    };
    await collect(
      results.flatMap((result) => result.refreshes),
      tokens,
    );
    await expectAllDead(
      sessions.map(({ session }) => session.sessionId),
      tokens,
    );
    expectNoDeadlockRetries();

    // Each revocation is in the audit trail once, with who did it.
    const revoked = await apps[0].dataSource.query(
      `SELECT count(DISTINCT session_id)::int AS n FROM audit_logs WHERE event_type = 'session.revoked' AND session_id = ANY($1::uuid[])`,
      [sessions.map(({ session }) => session.sessionId)],
    );
    expect(revoked[0].n).toBe(sessions.length);
  });

  it("an agent's revoke-all racing refreshes of every session: all revoked, no successor survives", async () => {
    const sessions: Signed[] = [];
    for (let i = 0; i < 12; i += 1) sessions.push(await signIn(false));

    const [revokeAll, ...refreshes] = await Promise.all([
      agentPost(apps[0], '/sessions/revoke-all', { reason: 'race: account takeover suspected' }),
      ...sessions.flatMap((session, i) => [
        refresh(apps[(i + 1) % 3], session.refresh_token),
        refresh(apps[(i + 2) % 3], session.refresh_token),
      ]),
    ]);
    expect(revokeAll.status).toBe(200);
    expect((await revokeAll.json()).revoked).toBe(sessions.length);
    expect(refreshes.filter((response) => response.status >= 500)).toEqual([]);

    const tokens = {
      access: sessions.map((session) => session.access_token),
      refresh: sessions.map((session) => session.refresh_token),
    };
    await collect(refreshes, tokens);
    await expectAllDead(
      sessions.map((session) => session.sessionId),
      tokens,
    );
    expectNoDeadlockRetries();
  });
});
