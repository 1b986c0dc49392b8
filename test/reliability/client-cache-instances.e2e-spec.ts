import { ClientCache } from '../../src/clients/client-cache';
import { ClientsService } from '../../src/clients/clients.service';
import { startTestApp } from '../support/app';
import type { TestApp } from '../support/app';
import { postForm, registerClient } from '../support/oauth';
import { until } from '../support/until';

/**
 * Issue 14: every instance keeps the registered clients in memory. Two instances on one database: a change
 * made through one (or by an operator's SQL) reaches the other through LISTEN/NOTIFY at once, long before
 * the TTL (an hour here); a deactivation is refused at once; a client's failures on one instance make the
 * other check the lockout; a lost listening connection stops the cache until it is back.
 */
describe('the client cache across instances', () => {
  // A client of its own for each spec: failures and cache entries of one never reach the next.
  const CLIENT = { id: '', secret: 'fleet-service-secret-0123456789' };
  let serial = 0;
  const env = { CLIENT_CACHE_TTL_SECONDS: '3600', LOCKOUT_CLIENT_FAILURE_LIMIT: '3' };
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await startTestApp({ env });
    b = await startTestApp({ env: { ...env, OIDC_ISSUER: a.config.oidc.issuer }, database: a.database });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const token = (app: TestApp, secret = CLIENT.secret) =>
    postForm(app, '/oauth2/token', { grant_type: 'client_credentials' }, { id: CLIENT.id, secret });
  const cacheOf = (app: TestApp) => app.app.get(ClientCache);

  /** Uses the client on `app` until that instance serves it from memory. */
  async function cached(app: TestApp): Promise<void> {
    expect((await token(app)).status).toBe(200);
    await until(() => cacheOf(app).isListening(), 'the client cache to listen');
    expect((await token(app)).status).toBe(200);
    expect(cacheOf(app).get(CLIENT.id)).toBeDefined();
  }

  beforeEach(async () => {
    serial += 1;
    CLIENT.id = `fleet-service-${serial}`;
    await registerClient(a, {
      clientId: CLIENT.id,
      name: 'Fleet service',
      type: 'CONFIDENTIAL',
      secret: CLIENT.secret,
      grantTypes: ['client_credentials'],
      canIntrospect: true,
    });
  });

  it('sees a change made elsewhere (here an operator’s SQL) at once, not after the TTL', async () => {
    await cached(b);
    expect(((await (await token(b)).json()) as { expires_in: number }).expires_in).toBe(300);
    await a.dataSource.query(`UPDATE oauth_clients SET access_token_ttl_seconds = 120 WHERE client_id = $1`, [
      CLIENT.id,
    ]);
    await until(() => cacheOf(b).get(CLIENT.id) === undefined, 'the notification to reach the other instance');
    expect(((await (await token(b)).json()) as { expires_in: number }).expires_in).toBe(120);
  });

  it('refuses a client deactivated through another instance at once, at the token and introspection endpoints', async () => {
    await cached(b);
    const issued = (await (await token(b)).json()) as { access_token: string };
    expect(await a.app.get(ClientsService).deactivate(CLIENT.id, 'test')).toBe(true);
    // No wait at all: the statements that issue or describe a token check the client as they run.
    expect((await token(b)).status).toBe(401);
    const introspected = await postForm(
      b,
      '/oauth2/introspect',
      { token: issued.access_token },
      { id: CLIENT.id, secret: CLIENT.secret },
    );
    expect(introspected.status).toBe(401);
    await until(() => cacheOf(b).get(CLIENT.id) === undefined, 'the deactivation to reach the other instance');
    expect((await token(b)).status).toBe(401);
  });

  it('checks the lockout on every instance once the client failed on one of them', async () => {
    await cached(b);
    expect(cacheOf(b).needsLockoutCheck(CLIENT.id)).toBe(false);
    for (let i = 0; i < 3; i += 1) expect((await token(a, 'a-wrong-secret-0123456789')).status).toBe(401);
    await until(() => cacheOf(b).needsLockoutCheck(CLIENT.id), 'the failure to reach the other instance');
    // Locked on every instance, even for the right secret, and before any hashing.
    const locked = await token(b);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('keeps a lock engaged before this instance cached the client, request after request', async () => {
    // B listens already (an earlier spec used it), but has never seen this client.
    await until(() => cacheOf(b).isListening(), 'the client cache to listen');
    for (let i = 0; i < 3; i += 1) expect((await token(a, 'a-wrong-secret-0123456789')).status).toBe(401);
    for (let i = 0; i < 3; i += 1) expect((await token(b)).status).toBe(429);
  });

  it('serves nothing from memory while its listening connection is lost, and listens again', async () => {
    await cached(b);
    await a.dataSource.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ciam-client-cache' AND datname = current_database()`,
    );
    await until(() => !cacheOf(b).isListening(), 'the listening connection to drop');
    expect(cacheOf(b).get(CLIENT.id)).toBeUndefined();
    // Still served, from the database, while the listener reconnects (with backoff).
    expect((await token(b)).status).toBe(200);
    await until(() => cacheOf(b).isListening(), 'the listener to reconnect');
    await cached(b);
  });
});
