import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { firstFreePort } from '../../src/database/embedded-postgres';
import { TEST_KEY_ENCRYPTION_KEY } from '../support/app';
import { compiled } from '../support/compiled';
import { createTestDatabase, TestDatabase } from '../support/database';
import { startTcpProxy, TcpProxy } from '../support/tcp-proxy';

const root = join(__dirname, '..', '..');
const DRAIN_NOTICE_MS = 3000;

/**
 * SIGTERM to the real entry point, run as a process, with requests in flight (held on a database
 * paused through the proxy): they finish with 200, new requests get 503 with Retry-After in the
 * endpoint's format and no connection is reset, the process exits 0.
 */
describe('graceful drain on SIGTERM', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let child: ChildProcess;
  let baseUrl: string;
  let output = '';

  beforeAll(async () => {
    database = await createTestDatabase();
    const target = new URL(database.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    const port = await firstFreePort(0);
    baseUrl = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [compiled('src/main')], {
      cwd: root,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: String(port),
        OIDC_ISSUER: baseUrl,
        LOG_LEVEL: 'info',
        KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
        DATABASE_URL: proxy.via(database.url),
        DATABASE_MIGRATIONS_RUN: 'false',
        SEED_DEMO_CLIENTS: 'true',
        DATABASE_STATEMENT_TIMEOUT_MS: '15000',
        SHUTDOWN_DRAIN_NOTICE_MS: String(DRAIN_NOTICE_MS),
        SHUTDOWN_TIMEOUT_MS: '20000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}:\n${output}`);
      const live = await fetch(`${baseUrl}/health/live`).catch(() => undefined);
      if (live?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`the service did not start within 90 s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }, 120_000);

  afterAll(async () => {
    proxy?.resume();
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await proxy?.close();
    await database?.drop();
  });

  const serviceToken = () =>
    fetch(`${baseUrl}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('demo-service:demo-service-secret').toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('finishes in-flight requests, answers new ones 503 with Retry-After, resets nothing and exits 0', async () => {
    expect((await serviceToken()).status).toBe(200); // warm: the client is cached, the pool is open
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    proxy.pause();
    const inFlight = [serviceToken(), serviceToken(), serviceToken()];
    await sleep(500);
    child.kill('SIGTERM');
    await sleep(500);

    const [journey, token, ready] = await Promise.all([
      fetch(`${baseUrl}/journeys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
      serviceToken(),
      fetch(`${baseUrl}/health/ready`),
    ]);
    expect(journey.status).toBe(503);
    expect(journey.headers.get('content-type')).toContain('application/problem+json');
    expect(journey.headers.get('retry-after')).toBe('1');
    expect(journey.headers.get('connection')).toBe('close');
    expect(await journey.json()).toMatchObject({ type: 'urn:ciam:problem:shutting-down', status: 503 });
    expect(token.status).toBe(503);
    expect(token.headers.get('retry-after')).toBe('1');
    expect(await token.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(ready.status).toBe(503);

    proxy.resume();
    const finished = await Promise.all(inFlight);
    expect(finished.map((response) => response.status)).toEqual([200, 200, 200]);
    for (const response of finished) expect(await response.json()).toMatchObject({ token_type: 'Bearer' });

    // Still within the notice: new connections are answered, not refused.
    const late = await fetch(`${baseUrl}/health/live`);
    expect(late.status).toBe(503);

    expect(await exited).toBe(0);
    expect(output).toContain('shut down cleanly');
  }, 60_000);
});
