import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { firstFreePort } from '../../src/database/embedded-postgres';
import { TEST_KEY_ENCRYPTION_KEY } from '../support/app';
import { compiled } from '../support/compiled';
import { createTestDatabase, TestDatabase } from '../support/database';
import { pkcePair } from '../support/oauth';
import { Slapd, startSlapd } from '../support/slapd';

const root = join(__dirname, '..', '..');

/** What `find` finds, once it does (polling every 20 ms, 10 s at most): spans and log lines arrive in batches. */
async function eventually<T>(find: () => T | undefined | false, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = find();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
const isSql = (span: ReceivedSpan) =>
  span.attributes['db.system'] === 'postgresql' || span.attributes['db.system.name'] === 'postgresql';

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

/** An OTLP/HTTP trace receiver (POST /v1/traces, JSON as the http exporter sends it) that keeps every span. */
async function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; bodies: string[]; server: Server }> {
  const spans: ReceivedSpan[] = [];
  const bodies: string[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (request.method === 'POST' && request.url === '/v1/traces') {
        bodies.push(body);
        const parsed = JSON.parse(body) as {
          resourceSpans: Array<{
            scopeSpans: Array<{
              spans: Array<
                Omit<ReceivedSpan, 'attributes'> & {
                  attributes?: Array<{ key: string; value: Record<string, unknown> }>;
                }
              >;
            }>;
          }>;
        };
        for (const resource of parsed.resourceSpans)
          for (const scope of resource.scopeSpans)
            for (const span of scope.spans)
              spans.push({
                ...span,
                attributes: Object.fromEntries((span.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]])),
              });
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, bodies, server };
}

/**
 * Issue 19, item 5: with OTEL_TRACES_ENABLED the real entry point, run as a process against a real slapd and
 * PostgreSQL, exports one trace per login step holding its HTTP, SQL and LDAP spans, and the step's log line
 * names that trace. (Jest's module loader bypasses the hooks the instrumentations patch modules through, so
 * only a real process shows what production does.)
 */
describe('OpenTelemetry tracing', () => {
  let database: TestDatabase;
  let slapd: Slapd;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let child: ChildProcess;
  let baseUrl: string;
  let output = '';

  beforeAll(async () => {
    [database, slapd, receiver] = await Promise.all([createTestDatabase(), startSlapd(), startOtlpReceiver()]);
    const port = await firstFreePort(0);
    baseUrl = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [compiled('src/main')], {
      cwd: root,
      env: {
        ...process.env,
        ...slapd.env,
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: String(port),
        OIDC_ISSUER: baseUrl,
        LOG_LEVEL: 'info',
        KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
        DATABASE_URL: database.url,
        DATABASE_MIGRATIONS_RUN: 'false',
        SEED_DEMO_CLIENTS: 'true',
        OTEL_TRACES_ENABLED: 'true',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: 'ciam-under-test',
        // Export every 100 ms rather than every 5 s.
        OTEL_BSP_SCHEDULE_DELAY: '100',
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
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    }
    await new Promise((resolve) => receiver?.server.close(resolve));
    await slapd?.stop();
    await database?.drop();
  });

  it('exports the password step as one trace with HTTP, SQL and LDAP spans, and logs its trace id', async () => {
    const pkce = pkcePair();
    const started = await fetch(`${baseUrl}/journeys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        clientId: 'demo-spa',
        redirectUri: 'http://localhost:5173/callback',
        codeChallenge: pkce.challenge,
        codeChallengeMethod: 'S256',
        scope: 'openid profile',
        channel: 'WEB',
      }),
    });
    expect(started.status).toBe(201);
    const journey = (await started.json()) as { journeyId: string; transactionToken: string };
    const password = await fetch(`${baseUrl}/journeys/${journey.journeyId}/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        transactionToken: journey.transactionToken,
        username: 'alice',
        password: 'alice-password',
      }),
    });
    expect(password.status).toBe(200);
    expect(((await password.json()) as { status: string }).status).toBe('COMPLETED');
    const requestId = password.headers.get('x-request-id');

    const route = '/journeys/:journeyId/password';
    const server = await eventually(
      () => receiver.spans.find((span) => span.kind === 2 && span.attributes['http.route'] === route),
      'the server span of the password step',
    );
    const inTrace = () => receiver.spans.filter((span) => span.traceId === server.traceId);
    // The SQL of the step's transactions and its directory calls, all under the request's trace.
    await eventually(
      () => inTrace().some((span) => span.name.startsWith('ldap ')) && inTrace().some(isSql),
      'LDAP and SQL spans in the same trace',
    );
    const names = inTrace().map((span) => span.name);
    expect(names).toEqual(expect.arrayContaining(['ldap bind', 'ldap search']));
    expect(inTrace().filter(isSql).length).toBeGreaterThan(1);
    expect(inTrace().find((span) => span.name === 'ldap bind')).toMatchObject({ kind: 3 }); // CLIENT
    expect(JSON.parse(receiver.bodies[0]).resourceSpans[0].resource.attributes).toEqual(
      expect.arrayContaining([{ key: 'service.name', value: { stringValue: 'ciam-under-test' } }]),
    );

    const line = await eventually(
      () =>
        output
          .split('\n')
          .filter((text) => text.startsWith('{'))
          .map((text) => JSON.parse(text) as Record<string, unknown>)
          .find((entry) => entry.msg === 'request completed' && entry.requestId === requestId),
      'the request log line',
    );
    expect(line.trace_id).toBe(server.traceId);
    expect(line.span_id).toMatch(/^[0-9a-f]{16}$/);

    // Nothing secret leaves with the spans: no password, no transaction token, no SQL parameter values.
    const exported = receiver.bodies.join('\n');
    expect(exported).not.toContain('alice-password');
    expect(exported).not.toContain(journey.transactionToken);
    expect(exported).not.toContain('CUPID-ALICE-0001');
  });

  it('loads no OpenTelemetry SDK when tracing is off', () => {
    const loaded = (enabled: string) =>
      spawnSync(
        process.execPath,
        [
          '-e',
          `require(${JSON.stringify(compiled('src/tracing'))}); require(${JSON.stringify(compiled('src/app'))}); ` +
            'console.log(JSON.stringify(Object.keys(require.cache).filter((p) => /@opentelemetry[\\\\/](sdk-|instrumentation|exporter)|@fastify[\\\\/]otel/.test(p)).length))',
        ],
        { cwd: root, env: { ...process.env, OTEL_TRACES_ENABLED: enabled }, encoding: 'utf8' },
      );
    const off = loaded('false');
    expect(off.status).toBe(0);
    expect(Number(off.stdout.trim())).toBe(0);
    const on = loaded('true');
    expect(on.status).toBe(0);
    expect(Number(on.stdout.trim())).toBeGreaterThan(0);
  }, 60_000);
});
