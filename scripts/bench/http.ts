/**
 * npm run bench:http: the real service (compiled, production mode, log level warn) driven over loopback
 * by a small closed-loop load generator (N workers, each sending its next request as soon as the last
 * answered, for a fixed time): complete logins (journey start, password against the file directory and
 * against slapd, code exchange), refresh-token rotation, introspection, userinfo and JWKS. Reports
 * requests per second, p50/p99 latency and errors per scenario (errors must be 0).
 */
import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { DataSource } from 'typeorm';
import { hashSecret } from '../../src/common/passwords';
import { firstFreePort } from '../../src/database/embedded-postgres';
import { startSlapd } from '../../test/support/slapd';
import { openBenchDatabase, progress } from './bench-db';
import { percentile } from './queries';
import { seed } from './seed';

export interface HttpResult {
  scenario: string;
  directory: string;
  seconds: number;
  operations: number;
  requests: number;
  requestsPerSecond: number;
  operationsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
const WORKERS = Number(process.env.BENCH_HTTP_WORKERS ?? 16);
const SERVICE_SECRET = 'bench-service-secret-0123456789';
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');
const REDIRECT = 'http://localhost:5173/callback';

class UnexpectedStatus extends Error {}

async function expectStatus(response: Response, status: number): Promise<unknown> {
  const body = await response.text();
  if (response.status !== status)
    throw new UnexpectedStatus(`${response.url}: HTTP ${response.status} ${body.slice(0, 200)}`);
  return body ? JSON.parse(body) : undefined;
}

/** One complete login: journey start, password, code exchange. Three requests. */
async function login(
  base: string,
  username: string,
  password: string,
): Promise<{ access_token: string; refresh_token: string }> {
  const journey = (await expectStatus(
    await fetch(`${base}/journeys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        clientId: 'bench-spa',
        redirectUri: REDIRECT,
        codeChallenge: CHALLENGE,
        codeChallengeMethod: 'S256',
        scope: 'openid profile',
        channel: 'WEB',
        device: { deviceId: 'bench-device' },
      }),
    }),
    201,
  )) as { journeyId: string; transactionToken: string };
  const done = (await expectStatus(
    await fetch(`${base}/journeys/${journey.journeyId}/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ transactionToken: journey.transactionToken, username, password }),
    }),
    200,
  )) as { authorizationCode: string };
  return (await expectStatus(
    await fetch(`${base}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: done.authorizationCode,
        redirect_uri: REDIRECT,
        code_verifier: VERIFIER,
        client_id: 'bench-spa',
      }),
    }),
    200,
  )) as { access_token: string; refresh_token: string };
}

/** Runs `operation` in WORKERS closed loops for SECONDS; each worker may keep state. */
async function drive<State>(
  scenario: string,
  directory: string,
  requestsPerOperation: number,
  setup: () => Promise<State>,
  operation: (state: State) => Promise<State>,
): Promise<HttpResult> {
  const timings: number[] = [];
  let errors = 0;
  let lastError = '';
  const states = await Promise.all(Array.from({ length: WORKERS }, setup));
  const deadline = Date.now() + SECONDS * 1000;
  const started = Date.now();
  await Promise.all(
    states.map(async (initial) => {
      let state = initial;
      while (Date.now() < deadline) {
        const t0 = performance.now();
        try {
          state = await operation(state);
          timings.push(performance.now() - t0);
        } catch (error) {
          errors += 1;
          lastError = (error as Error).message;
        }
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  timings.sort((a, b) => a - b);
  if (errors > 0) process.stderr.write(`\n${scenario}: ${errors} errors, last: ${lastError}\n`);
  const operations = timings.length;
  const round = (n: number) => Math.round(n * 10) / 10;
  const result = {
    scenario,
    directory,
    seconds: round(seconds),
    operations,
    requests: operations * requestsPerOperation,
    requestsPerSecond: round((operations * requestsPerOperation) / seconds),
    operationsPerSecond: round(operations / seconds),
    p50Ms: round(percentile(timings, 50) ?? 0),
    p99Ms: round(percentile(timings, 99) ?? 0),
    errors,
  };
  progress(
    `http: ${scenario} (${directory}): ${result.operationsPerSecond} op/s, p99 ${result.p99Ms} ms, ${errors} errors`,
  );
  process.stderr.write('\n');
  return result;
}

async function startService(
  databaseUrl: string,
  env: Record<string, string>,
): Promise<{ base: string; child: ChildProcess }> {
  if (!existsSync('dist/src/main.js'))
    throw new Error('dist/src/main.js is missing: run `npm run build` first (npm run bench does)');
  const port = await firstFreePort(0);
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: '20',
      OIDC_ISSUER: base,
      KEY_ENCRYPTION_KEY: Buffer.alloc(32, 42).toString('base64'),
      SEED_DEMO_CLIENTS: 'false',
      JOBS_ENABLED: 'false',
      TRUSTED_NETWORKS: '127.0.0.0/8',
      SMS_PROVIDER: 'http',
      SMS_HTTP_URL: 'http://127.0.0.1:9/unused',
      PUSH_PROVIDER: 'http',
      PUSH_HTTP_URL: 'http://127.0.0.1:9/unused',
      AGENT_ISSUER: 'https://bench-workforce.invalid',
      AGENT_JWKS_URL: 'https://bench-workforce.invalid/jwks',
      DOCS_ENABLED: 'false',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 300; i += 1) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}`);
    if (
      (await fetch(`${base}/health/ready`).then(
        (r) => r.status,
        () => 0,
      )) === 200
    )
      return { base, child };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the service did not become ready within 30 s');
}

async function stopService(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function registerBenchClients(dataSource: DataSource): Promise<void> {
  await dataSource.query(
    `INSERT INTO oauth_clients (client_id, name, type, redirect_uris, grant_types, scopes) VALUES ('bench-spa', 'Benchmark SPA', 'PUBLIC', $1, '{authorization_code,refresh_token}', '{openid,profile}') ON CONFLICT DO NOTHING`,
    [[REDIRECT]],
  );
  await dataSource.query(
    `INSERT INTO oauth_clients (client_id, name, type, secret_hash, grant_types, scopes, can_introspect) VALUES ('bench-service', 'Benchmark service', 'CONFIDENTIAL', $1, '{client_credentials}', '{openid}', true) ON CONFLICT (client_id) DO UPDATE SET secret_hash = $1`,
    [await hashSecret(SERVICE_SECRET)],
  );
}

export async function benchHttp(dataSource: DataSource, databaseUrl: string): Promise<HttpResult[]> {
  await registerBenchClients(dataSource);
  const results: HttpResult[] = [];
  const basic = `Basic ${Buffer.from(`bench-service:${SERVICE_SECRET}`).toString('base64')}`;

  const file = await startService(databaseUrl, { USER_DIRECTORY: 'file' });
  try {
    const base = file.base;
    results.push(
      await drive(
        'JWKS',
        '-',
        1,
        async () => null,
        async (s) => {
          await expectStatus(await fetch(`${base}/oauth2/jwks`), 200);
          return s;
        },
      ),
    );
    results.push(
      await drive(
        'login (start, password, code exchange)',
        'file (argon2id)',
        3,
        async () => null,
        async (s) => {
          await login(base, 'alice', 'alice-password');
          return s;
        },
      ),
    );
    results.push(
      await drive(
        'refresh-token rotation',
        '-',
        1,
        () => login(base, 'alice', 'alice-password'),
        async (tokens) => {
          return (await expectStatus(
            await fetch(`${base}/oauth2/token`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams({
                grant_type: 'refresh_token',
                refresh_token: tokens.refresh_token,
                client_id: 'bench-spa',
              }),
            }),
            200,
          )) as typeof tokens;
        },
      ),
    );
    results.push(
      await drive(
        'introspection (client_secret_basic)',
        '-',
        1,
        () => login(base, 'alice', 'alice-password'),
        async (tokens) => {
          const body = (await expectStatus(
            await fetch(`${base}/oauth2/introspect`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
              body: new URLSearchParams({ token: tokens.access_token }),
            }),
            200,
          )) as { active: boolean };
          if (!body.active) throw new UnexpectedStatus('introspection said inactive');
          return tokens;
        },
      ),
    );
    results.push(
      await drive(
        'userinfo',
        '-',
        1,
        () => login(base, 'alice', 'alice-password'),
        async (tokens) => {
          await expectStatus(
            await fetch(`${base}/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
            200,
          );
          return tokens;
        },
      ),
    );
  } finally {
    await stopService(file.child);
  }

  if (existsSync('/usr/sbin/slapd')) {
    const slapd = await startSlapd();
    const ldap = await startService(databaseUrl, slapd.env);
    try {
      results.push(
        await drive(
          'login (start, password, code exchange)',
          'ldap (slapd, SSHA)',
          3,
          async () => null,
          async (s) => {
            await login(ldap.base, 'alice', 'alice-password');
            return s;
          },
        ),
      );
    } finally {
      await stopService(ldap.child);
      await slapd.stop();
    }
  } else {
    process.stderr.write('slapd is not installed: the LDAP login scenario is skipped (apt-get install slapd)\n');
  }
  return results;
}

export function httpTable(results: HttpResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.scenario} | ${r.directory} | ${r.operationsPerSecond} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.errors} |`,
  );
  return [
    `| scenario (${WORKERS} workers, ${SECONDS} s) | directory | operations/s | requests/s | p50 ms | p99 ms | errors |`,
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

if (require.main === module) {
  (async () => {
    const db = await openBenchDatabase(console.log);
    try {
      await seed(db.dataSource, console.log);
      console.log(httpTable(await benchHttp(db.dataSource, db.url)));
    } finally {
      await db.stop();
    }
  })().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
