import { DataSource } from 'typeorm';
import { startTestApp, TestApp } from '../support/app';
import { createTestDatabase, openDataSource, TestDatabase } from '../support/database';
import { postJson } from '../support/journeys';
import { pkcePair, postForm, registerStandardClients, SERVICE, SPA } from '../support/oauth';
import { startTcpProxy, TcpProxy } from '../support/tcp-proxy';

/** Generous: the bounds below add up to about 3 s; a frozen database must never cost a request the length of the freeze. */
const ANSWER_BOUND_MS = 10_000;

/**
 * PostgreSQL frozen (packets dropped through a paused TCP proxy) and its connections killed, under a
 * real app: requests fail fast with a 503 that says "retry", relying parties keep the keys, and the
 * service recovers on its own when the database comes back.
 */
describe('database faults', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let t: TestApp;
  let direct: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    const target = new URL(database.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    t = await startTestApp({
      database: { ...database, url: proxy.via(database.url) },
      env: {
        DATABASE_ACQUIRE_TIMEOUT_MS: '1500',
        DATABASE_CONNECT_TIMEOUT_MS: '1500',
        DATABASE_STATEMENT_TIMEOUT_MS: '1500',
      },
    });
    await registerStandardClients(t);
    direct = await openDataSource(database.url);
  });

  afterAll(async () => {
    proxy?.resume();
    await t?.app.close();
    await direct?.destroy();
    await proxy?.close();
    await database?.drop();
  });

  const journeyStart = () => {
    const pkce = pkcePair();
    return postJson(t, '/journeys', {
      clientId: SPA.clientId,
      redirectUri: SPA.redirectUri,
      codeChallenge: pkce.challenge,
      codeChallengeMethod: 'S256',
      scope: 'openid',
      nonce: 'n',
      state: 's',
      channel: 'WEB',
      device: { deviceId: 'd-1', data: { platform: 'web' } },
    });
  };
  const serviceToken = () =>
    postForm(
      t,
      '/oauth2/token',
      { grant_type: 'client_credentials' },
      { id: SERVICE.clientId, secret: SERVICE.secret },
    );
  const timed = async <T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> => {
    const started = performance.now();
    const result = await work();
    return { result, ms: performance.now() - started };
  };

  it('frozen: a journey start answers 503 problem+json with Retry-After within the bound', async () => {
    expect((await journeyStart()).status).toBe(201);
    proxy.pause();
    const { result: response, ms } = await timed(journeyStart);
    expect(ms).toBeLessThan(ANSWER_BOUND_MS);
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.headers.get('retry-after')).toBe('5');
    const problem = await response.json();
    expect(problem).toMatchObject({ type: 'urn:ciam:problem:dependency-unavailable', status: 503 });
    expect(JSON.stringify(problem)).not.toMatch(/127\.0\.0\.1|:\d{4,5}\b|postgres/i);
  });

  it('frozen: a browser on a registered origin still gets discovery and the JWKS with CORS, from the last known origins', async () => {
    proxy.resume();
    const origin = new URL(SPA.redirectUri).origin;
    const cors = () => fetch(`${t.baseUrl}/oauth2/jwks`, { headers: { origin } });
    expect((await cors()).headers.get('access-control-allow-origin')).toBe(origin);
    proxy.pause();
    t.clock.advance(61); // past the origins' cache: the reload meets the frozen database
    const { result: response, ms } = await timed(cors);
    expect(ms).toBeLessThan(ANSWER_BOUND_MS);
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(origin);
    expect((await timed(cors)).result.headers.get('access-control-allow-origin')).toBe(origin);
  });

  it('frozen: the token endpoint answers temporarily_unavailable; discovery and JWKS still answer from memory', async () => {
    const [token, discovery, jwks] = await Promise.all([
      timed(serviceToken),
      timed(() => fetch(`${t.baseUrl}/.well-known/openid-configuration`)),
      timed(() => fetch(`${t.baseUrl}/oauth2/jwks`)),
    ]);
    expect(token.ms).toBeLessThan(ANSWER_BOUND_MS);
    expect(token.result.status).toBe(503);
    expect(token.result.headers.get('retry-after')).toBe('5');
    expect(await token.result.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: expect.any(String),
    });
    expect(discovery.result.status).toBe(200);
    expect((await discovery.result.json()).jwks_uri).toBe(`${t.baseUrl}/oauth2/jwks`);
    expect(jwks.result.status).toBe(200);
    const [key] = (await jwks.result.json()).keys;
    const [active] = await direct.query(`SELECT kid FROM signing_keys WHERE status = 'ACTIVE'`);
    expect(key.kid).toBe(active.kid);
  });

  it('frozen: readiness is 503 with the database down, and names no host', async () => {
    const { result: response, ms } = await timed(() => fetch(`${t.baseUrl}/health/ready`));
    expect(ms).toBeLessThan(ANSWER_BOUND_MS);
    expect(response.status).toBe(503);
    const problem = await response.json();
    expect(problem).toMatchObject({
      type: 'urn:ciam:problem:not-ready',
      checks: { database: { status: 'down' }, signingKeys: { status: 'up' } },
    });
    expect(JSON.stringify(problem)).not.toMatch(/127\.0\.0\.1|:\d{4,5}\b/);
  });

  it('logs the expected 503s at warn, without stacks, and no unhandled error', () => {
    const lines = t.logLines();
    const unavailable = lines.filter((line) => line.msg === 'dependency unavailable');
    expect(unavailable.length).toBeGreaterThanOrEqual(2);
    for (const line of unavailable) {
      expect(line.level).toBe(40);
      expect(JSON.stringify(line)).not.toContain('    at ');
    }
    expect(lines.filter((line) => line.msg === 'unhandled error')).toEqual([]);
  });

  it('thawed: the same requests succeed again, without a restart', async () => {
    proxy.resume();
    expect((await journeyStart()).status).toBe(201);
    expect((await serviceToken()).status).toBe(200);
    expect((await fetch(`${t.baseUrl}/health/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${t.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/ciam_database_pool_connections\{state="total"\} [1-9]/);
    expect(metrics).toMatch(/ciam_database_pool_connections\{state="waiting"\} 0/);
  });

  it('connections killed (a failover): the pool reconnects and requests succeed', async () => {
    expect(proxy.connections()).toBeGreaterThan(0);
    proxy.killConnections();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const responses = await Promise.all([journeyStart(), serviceToken(), fetch(`${t.baseUrl}/health/ready`)]);
    expect(responses.map((response) => response.status)).toEqual([201, 200, 200]);
  });

  it('left nothing half-written: every journey row has its first transaction', async () => {
    const [orphans] = await direct.query(
      `SELECT count(*)::int AS n FROM auth_contexts c WHERE NOT EXISTS (SELECT 1 FROM auth_transactions x WHERE x.context_id = c.id)`,
    );
    expect(orphans.n).toBe(0);
  });
});
