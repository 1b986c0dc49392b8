import { Client } from 'pg';
import { ClientCache } from '../../src/clients/client-cache';
import type { TestApp } from '../support/app';
import { useTestApp } from '../support/app';
import { ClientsService } from '../../src/clients/clients.service';
import {
  completeLogin,
  exchangeCode,
  postForm,
  refresh,
  registerStandardClients,
  SERVICE,
  SPA,
} from '../support/oauth';
import type { CompletedLogin } from '../support/oauth';
import { until } from '../support/until';

/**
 * Issue 14's round-trip budgets, counted, not timed: every statement the service sends to PostgreSQL on its
 * pool's connections (BEGIN and COMMIT included) during one request, from the real service over real HTTP.
 * Steady state: the client was used once before (the cache holds it and its secret was verified).
 */
describe('statements per operation on the token endpoints (issue 14)', () => {
  const t = useTestApp({}, registerStandardClients);
  const sent: string[] = [];
  const originalQuery = Client.prototype.query;

  beforeAll(() => {
    const pool = (t.dataSource.driver as unknown as { master: { _clients: Client[] } }).master;
    // Counts what the app's pool sends; the test's own queries and the cache's listener go elsewhere.
    Client.prototype.query = function counted(this: Client, ...args: unknown[]) {
      if (pool._clients.includes(this)) {
        const first = args[0];
        sent.push(typeof first === 'string' ? first : String((first as { text?: string }).text));
      }
      return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof Client.prototype.query;
  });
  afterAll(() => {
    Client.prototype.query = originalQuery;
  });

  async function statementsOf(work: () => Promise<Response>, expectedStatus = 200): Promise<string[]> {
    sent.length = 0;
    const response = await work();
    expect(response.status).toBe(expectedStatus);
    await response.arrayBuffer();
    return [...sent];
  }

  const clientCredentials = (tt: TestApp) =>
    postForm(
      tt,
      '/oauth2/token',
      { grant_type: 'client_credentials' },
      { id: SERVICE.clientId, secret: SERVICE.secret },
    );

  async function warm(): Promise<void> {
    expect((await clientCredentials(t)).status).toBe(200);
    await until(() => t.app.get(ClientCache).isListening(), 'the client cache to listen');
    // Read once more now that changes reach this instance: from here on the client is served from memory.
    expect((await clientCredentials(t)).status).toBe(200);
  }

  it('client_credentials: at most 2 statements (no BEGIN/COMMIT around one statement)', async () => {
    await warm();
    const statements = await statementsOf(() => clientCredentials(t));
    expect(statements.length).toBeLessThanOrEqual(2);
    expect(statements.join('\n')).not.toMatch(/^(BEGIN|START TRANSACTION|COMMIT)/im);
    // The token row and its audit event were both written, by that one statement.
    const [row] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_logs WHERE client_id = $1 AND event_type = 'tokens.issued'`,
      [SERVICE.clientId],
    );
    expect(row.n).toBe(3);
  });

  it('introspection: at most 1 statement for a verified, cached client', async () => {
    await warm();
    const issued = (await (await clientCredentials(t)).json()) as { access_token: string };
    const statements = await statementsOf(() =>
      postForm(
        t,
        '/oauth2/introspect',
        { token: issued.access_token },
        { id: SERVICE.clientId, secret: SERVICE.secret },
      ),
    );
    expect(statements.length).toBeLessThanOrEqual(1);
  });

  it('userinfo: at most 1 statement', async () => {
    const login = await completeLogin(t, { scope: 'openid' });
    const tokens = (await (await exchangeCode(t, login)).json()) as { access_token: string };
    const statements = await statementsOf(() =>
      fetch(`${t.baseUrl}/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
    );
    expect(statements.length).toBeLessThanOrEqual(1);
  });

  it('code exchange: at most 2 statements (the code with its session, then one statement for all of it)', async () => {
    // The public client is cached after its first use.
    expect((await exchangeCode(t, await completeLogin(t))).status).toBe(200);
    const login = await completeLogin(t);
    const statements = await statementsOf(() => exchangeCode(t, login));
    expect(statements.length).toBeLessThanOrEqual(2);
    const rows = await t.dataSource.query(`SELECT type FROM tokens WHERE session_id = $1 ORDER BY type`, [
      login.sessionId,
    ]);
    expect(rows.map((row: { type: string }) => row.type).sort()).toEqual(['ACCESS', 'ID', 'REFRESH']);
    // Spent: a second exchange is refused.
    expect((await exchangeCode(t, login)).status).toBe(400);
  });

  it('refresh rotation: at most 3 statements, and the new grant is whole', async () => {
    const login = await completeLogin(t);
    const first = (await (await exchangeCode(t, login)).json()) as { refresh_token: string };
    // The client is cached after its first use.
    const warmed = (await (await refresh(t, first.refresh_token)).json()) as { refresh_token: string };
    let rotated: { refresh_token: string; access_token: string; id_token: string } | undefined;
    const statements = await statementsOf(async () => {
      const response = await refresh(t, warmed.refresh_token);
      rotated = (await response.clone().json()) as typeof rotated;
      return response;
    });
    expect(statements.length).toBeLessThanOrEqual(3);
    const rows = await t.dataSource.query(
      `SELECT type, status FROM tokens WHERE session_id = $1 ORDER BY created_at, type`,
      [login.sessionId],
    );
    expect(
      rows.filter((row: { status: string }) => row.status === 'ACTIVE').map((row: { type: string }) => row.type),
    ).toEqual(expect.arrayContaining(['ACCESS', 'ID', 'REFRESH']));
    expect(rotated?.refresh_token).toEqual(expect.any(String));
    const events = await t.dataSource.query(
      `SELECT event_type FROM audit_logs WHERE session_id = $1 ORDER BY created_at`,
      [login.sessionId],
    );
    expect(events.map((event: { event_type: string }) => event.event_type)).toEqual(
      expect.arrayContaining(['refresh_token.rotated', 'tokens.issued']),
    );
  });

  it('pairwise client (issue 16): one statement more at the code exchange only, none at userinfo, introspection or refresh', async () => {
    const clientId = 'test-pairwise';
    await t.app.get(ClientsService).register({
      clientId,
      name: 'Pairwise',
      type: 'PUBLIC',
      redirectUris: [SPA.redirectUri],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'offline_access'],
      subjectType: 'pairwise',
      sectorIdentifier: 'pairwise.example',
    });
    const exchange = (login: CompletedLogin) => exchangeCode(t, login, { client_id: clientId });
    // Cached client and pseudonym versions after the first use.
    expect((await exchange(await completeLogin(t, { clientId, cupid: 'CUPID-PW-WARM' }))).status).toBe(200);
    const login = await completeLogin(t, { clientId, scope: 'openid offline_access' });
    let tokens: { access_token: string; refresh_token: string } | undefined;
    const exchanged = await statementsOf(async () => {
      const response = await exchange(login);
      tokens = (await response.clone().json()) as typeof tokens;
      return response;
    });
    // The code with its session, the mapping's read-or-insert (alice is new to this sector), the issuing statement.
    expect(exchanged.length).toBeLessThanOrEqual(3);
    expect(exchanged.filter((text) => text.includes('subject_pseudonyms'))).toHaveLength(1);
    const userinfo = await statementsOf(() =>
      fetch(`${t.baseUrl}/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens!.access_token}` } }),
    );
    expect(userinfo.length).toBeLessThanOrEqual(1);
    // Introspection answers the client's own sid (its pseudonym of the session, computed): no statement more.
    await warm();
    let introspection: { active?: boolean; sid?: string } = {};
    const introspected = await statementsOf(async () => {
      const response = await postForm(
        t,
        '/oauth2/introspect',
        { token: tokens!.access_token },
        { id: SERVICE.clientId, secret: SERVICE.secret },
      );
      introspection = (await response.clone().json()) as typeof introspection;
      return response;
    });
    expect(introspected.length).toBeLessThanOrEqual(1);
    expect(introspection.active).toBe(true);
    expect(introspection.sid).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(introspection.sid).not.toBe(login.sessionId);
    const refreshed = await statementsOf(() =>
      postForm(t, '/oauth2/token', {
        grant_type: 'refresh_token',
        refresh_token: tokens!.refresh_token,
        client_id: clientId,
      }),
    );
    expect(refreshed.length).toBeLessThanOrEqual(3);
    expect([...userinfo, ...introspected, ...refreshed].join('\n')).not.toContain('subject_pseudonyms');
  });

  describe('under concurrency (group commit: one statement for the calls that arrive together)', () => {
    it('client_credentials and introspection: each caller gets its own token, row and audit event', async () => {
      await warm();
      const issued = await Promise.all(
        Array.from({ length: 12 }, async () => {
          const response = await clientCredentials(t);
          expect(response.status).toBe(200);
          return (await response.json()) as { access_token: string };
        }),
      );
      const jtis = issued.map(
        ({ access_token }) => JSON.parse(Buffer.from(access_token.split('.')[1], 'base64url').toString()).jti,
      );
      expect(new Set(jtis).size).toBe(12);
      const audited = await t.dataSource.query(
        `SELECT details->>'accessTokenJti' AS jti FROM audit_logs WHERE event_type = 'tokens.issued' AND details->>'accessTokenJti' = ANY($1)`,
        [jtis],
      );
      expect(audited.map((row: { jti: string }) => row.jti).sort()).toEqual([...jtis].sort());

      const answers = await Promise.all(
        [...issued.map(({ access_token }) => access_token), 'not-a-token'].map(async (token) => {
          const response = await postForm(
            t,
            '/oauth2/introspect',
            { token },
            { id: SERVICE.clientId, secret: SERVICE.secret },
          );
          expect(response.status).toBe(200);
          return (await response.json()) as { active: boolean; jti?: string };
        }),
      );
      expect(answers.map((answer) => answer.jti ?? null)).toEqual([...jtis, null]);
      expect(answers.map((answer) => answer.active)).toEqual([...jtis.map(() => true), false]);
    });

    it('refresh rotation: each session rotates once, and a replay sent alongside rotates nothing more', async () => {
      const grants = await Promise.all(
        Array.from({ length: 6 }, async () => {
          const login = await completeLogin(t);
          return { login, tokens: (await (await exchangeCode(t, login)).json()) as { refresh_token: string } };
        }),
      );
      const responses = await Promise.all(
        [...grants, grants[0]].map(async ({ tokens }) => {
          const response = await refresh(t, tokens.refresh_token);
          return { status: response.status, body: (await response.json()) as { refresh_token?: string } };
        }),
      );
      for (const response of responses.slice(0, 6)) expect(response.status).toBe(200);
      const rotated = responses.slice(0, 6).map((response) => response.body.refresh_token);
      expect(new Set(rotated).size).toBe(6);
      for (const { login } of grants) {
        const [row] = await t.dataSource.query(
          `SELECT count(*) FILTER (WHERE status = 'ACTIVE')::int AS active, count(*) FILTER (WHERE status = 'ROTATED')::int AS rotated
             FROM tokens WHERE session_id = $1 AND type = 'REFRESH'`,
          [login.sessionId],
        );
        expect(row).toEqual({ active: 1, rotated: 1 });
        const [events] = await t.dataSource.query(
          `SELECT count(*)::int AS n FROM audit_logs WHERE session_id = $1 AND event_type = 'refresh_token.rotated'`,
          [login.sessionId],
        );
        expect(events.n).toBe(1);
      }
    });
  });
});
