/**
 * npm run bench:http: the real service (compiled, production mode, log level warn) driven over loopback
 * by a small closed-loop load generator (N workers, each sending its next request as soon as the last
 * answered, for a fixed time): complete logins (journey start, password against the file directory and
 * against slapd, code exchange), refresh-token rotation, client_credentials, introspection, userinfo,
 * discovery and JWKS. Reports requests per second, p50/p99 latency and errors per scenario (errors must be
 * 0), and what each operation cost as the parts count it (counters.ts): statements sent to PostgreSQL,
 * the service's CPU and PostgreSQL's CPU. BENCH_SERVICE_DIR runs another checkout's build (an older
 * commit, for a before/after in one sitting) against the same database and load generator.
 */
import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DataSource } from 'typeorm';
import { hashSecret, verifySecret } from '../../src/common/passwords';
import { firstFreePort } from '../../src/database/embedded-postgres';
import { startSlapd } from '../../test/support/slapd';
import { openBenchDatabase, progress } from './bench-db';
import { LOAD_CPU, pin, pinMatching, SERVER_CPU } from './pin';
import { costPerOperation, Counters, PhaseCost } from './counters';
import { percentile } from './queries';
import { seed } from './seed';

export interface HttpResult extends PhaseCost {
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
  /** Operations run before the window (BENCH_HTTP_WARMUP_*). */
  warmupOperations: number;
  /** CLOCK_MONOTONIC microseconds of the measured window, the clock V8's CPU profiles use (profile-summary.ts). */
  windowUs: [number, number];
}

const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
const WORKERS = Number(process.env.BENCH_HTTP_WORKERS ?? 16);
/**
 * Each scenario first runs unmeasured for at least BENCH_HTTP_WARMUP_SECONDS and BENCH_HTTP_WARMUP_OPERATIONS
 * operations, whichever ends later, and at most BENCH_HTTP_WARMUP_MAX_SECONDS: pools opened, caches filled, and
 * the scenario's code through V8's optimising compiler (which works on helper threads for tens of seconds of a
 * login's traffic: measured too early, a login's CPU is a third higher). A count of operations, not a time, so
 * a slower build gets as much warm-up as a faster one.
 */
const WARMUP_SECONDS = Number(process.env.BENCH_HTTP_WARMUP_SECONDS ?? 2);
const WARMUP_OPERATIONS = Number(process.env.BENCH_HTTP_WARMUP_OPERATIONS ?? 1500);
const WARMUP_MAX_SECONDS = Number(process.env.BENCH_HTTP_WARMUP_MAX_SECONDS ?? 45);
const SERVICE_SECRET = 'bench-service-secret-0123456789';
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');
const REDIRECT = 'http://localhost:5173/callback';
/** The build to run: this checkout's, or BENCH_SERVICE_DIR's (e.g. a worktree of an older commit). */
const SERVICE_DIR = process.env.BENCH_SERVICE_DIR ?? '.';
/** Scenarios to run (comma-separated names as in the table, e.g. `login,refresh`); all when unset. */
const ONLY = process.env.BENCH_HTTP_ONLY?.split(',').filter(Boolean);

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
  counters: Counters,
  base: string,
  scenario: string,
  directory: string,
  requestsPerOperation: number,
  setup: () => Promise<State>,
  operation: (state: State) => Promise<State>,
): Promise<HttpResult | undefined> {
  if (ONLY && !ONLY.some((name) => scenario.startsWith(name))) return undefined;
  const timings: number[] = [];
  let errors = 0;
  let lastError = '';
  const states = await Promise.all(Array.from({ length: WORKERS }, setup));
  let warmupOperations = 0;
  /** Every worker repeats `operation` until `done`; their states carry over from one run to the next. */
  const loop = (done: () => boolean, record: boolean) =>
    Promise.all(
      states.map(async (initial, i) => {
        let state = initial;
        while (!done()) {
          const t0 = performance.now();
          try {
            state = await operation(state);
            if (record) timings.push(performance.now() - t0);
            else warmupOperations += 1;
          } catch (error) {
            errors += 1;
            lastError = (error as Error).message;
          }
        }
        states[i] = state;
      }),
    );
  // Unmeasured warm-up at full concurrency: both builds open their pools' connections (a SCRAM exchange and a cold
  // backend each), fill their caches and compile the scenario's code here rather than inside the window. Its errors
  // count like the window's.
  const warmupStarted = Date.now();
  await loop(() => {
    const elapsed = Date.now() - warmupStarted;
    return (
      elapsed >= WARMUP_MAX_SECONDS * 1000 ||
      (elapsed >= WARMUP_SECONDS * 1000 && warmupOperations >= WARMUP_OPERATIONS)
    );
  }, false);
  // Counted from here: the workers' setup (a login each, for the token scenarios) is not the scenario's cost.
  const before = await counters.snapshot(base);
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  const started = Date.now();
  await loop(() => Date.now() >= started + SECONDS * 1000, true);
  const seconds = (Date.now() - started) / 1000;
  const toUs = Number(process.hrtime.bigint() / 1000n);
  const after = await counters.snapshot(base);
  const cost = costPerOperation(before, after, timings.length + errors, counters.threadSplit(before, after));
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
    warmupOperations,
    ...cost,
    windowUs: [fromUs, toUs] as [number, number],
  };
  progress(
    `http: ${scenario} (${directory}): ${result.operationsPerSecond} op/s, p99 ${result.p99Ms} ms, ${errors} errors, ` +
      `${cost.statementsPerOp} statements/op, service ${cost.serviceCpuMsPerOp} ms CPU/op (${cost.serviceSystemCpuMsPerOp} in the kernel, ` +
      `${cost.serviceMainThreadCpuMsPerOp} on the main thread, ${cost.servicePoolCpuMsPerOp} in libuv's pool), PostgreSQL ${cost.postgresCpuMsPerOp} ms CPU/op, ${cost.connectionsOpened} connections opened, after ${warmupOperations} warm-up operations`,
  );
  process.stderr.write('\n');
  return result;
}

async function startService(
  databaseUrl: string,
  env: Record<string, string>,
): Promise<{ base: string; child: ChildProcess }> {
  const main = join(SERVICE_DIR, 'dist/src/main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first (npm run bench does)`);
  const port = await firstFreePort(0);
  const base = `http://127.0.0.1:${port}`;
  // BENCH_CPU_PROF=<dir>: the service writes a V8 CPU profile there when it exits (profile-summary.ts reads it).
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${resolve(process.env.BENCH_CPU_PROF)}`]
    : [];
  const child = spawn(process.execPath, [...profile, 'dist/src/main.js'], {
    cwd: SERVICE_DIR,
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
  pin(child.pid, SERVER_CPU);
  // The first start after new migrations runs them over the full-scale tables (an index over 10M audit rows takes
  // minutes), so readiness may take that long once.
  for (let i = 0; i < 6000; i += 1) {
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
  throw new Error('the service did not become ready within 10 min');
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
  // BENCH_PIN=1: this process (the load) on one core, the service and its PostgreSQL on the other (pin.ts).
  pin(process.pid, LOAD_CPU);
  pinMatching('bench-postgres', SERVER_CPU);
  await registerBenchClients(dataSource);
  const counters = new Counters(dataSource);
  await counters.init();
  const results: HttpResult[] = [];
  const push = (result: HttpResult | undefined) => void (result && results.push(result));
  const basic = `Basic ${Buffer.from(`bench-service:${SERVICE_SECRET}`).toString('base64')}`;

  const file = await startService(databaseUrl, { USER_DIRECTORY: 'file' });
  counters.watchService(file.child.pid);
  try {
    const base = file.base;
    const get =
      (path: string, headers: Record<string, string> = {}) =>
      async <S>(s: S): Promise<S> => {
        await expectStatus(await fetch(`${base}${path}`, { headers }), 200);
        return s;
      };
    const loggedIn = () => login(base, 'alice', 'alice-password');
    push(await drive(counters, base, 'JWKS', '-', 1, async () => null, get('/oauth2/jwks')));
    push(await drive(counters, base, 'discovery', '-', 1, async () => null, get('/.well-known/openid-configuration')));
    push(
      await drive(
        counters,
        base,
        'login (start, password, code exchange)',
        'file (argon2id)',
        3,
        async () => null,
        async (s) => {
          await loggedIn();
          return s;
        },
      ),
    );
    push(
      await drive(counters, base, 'refresh-token rotation', '-', 1, loggedIn, async (tokens) => {
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
      }),
    );
    push(
      await drive(
        counters,
        base,
        'client_credentials (client_secret_basic)',
        '-',
        1,
        async () => null,
        async (s) => {
          const body = (await expectStatus(
            await fetch(`${base}/oauth2/token`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
              body: new URLSearchParams({ grant_type: 'client_credentials' }),
            }),
            200,
          )) as { access_token?: string };
          if (!body.access_token) throw new UnexpectedStatus('client_credentials without an access token');
          return s;
        },
      ),
    );
    push(
      await drive(counters, base, 'introspection (client_secret_basic)', '-', 1, loggedIn, async (tokens) => {
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
      }),
    );
    push(
      await drive(counters, base, 'userinfo', '-', 1, loggedIn, (tokens) =>
        get('/oauth2/userinfo', { authorization: `Bearer ${tokens.access_token}` })(tokens),
      ),
    );
  } finally {
    await stopService(file.child);
  }

  if (existsSync('/usr/sbin/slapd')) {
    const slapd = await startSlapd();
    pin(slapd.pid, SERVER_CPU);
    const ldap = await startService(databaseUrl, slapd.env);
    counters.watchService(ldap.child.pid);
    try {
      push(
        await drive(
          counters,
          ldap.base,
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

/**
 * The fixed cost inside a file-directory login: one argon2id verification (the directory's parameters), in
 * CPU milliseconds of this process, so the login's service CPU can be read without it.
 */
export async function argon2VerifyCpuMs(): Promise<number> {
  const hash = await hashSecret('bench-password');
  await verifySecret(hash, 'bench-password');
  const rounds = 20;
  const started = process.cpuUsage();
  for (let i = 0; i < rounds; i += 1) await verifySecret(hash, 'bench-password');
  const used = process.cpuUsage(started);
  return Number(((used.user + used.system) / 1000 / rounds).toFixed(2));
}

export function httpTable(results: HttpResult[]): string {
  const shown = (value: number | null) => (value === null ? 'n/a' : String(value));
  const rows = results.map(
    (r) =>
      `| ${r.scenario} | ${r.directory} | ${r.operationsPerSecond} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.errors} | ` +
      `${shown(r.statementsPerOp)} | ${shown(r.serviceCpuMsPerOp)} | ${shown(r.servicePoolCpuMsPerOp)} | ${shown(r.postgresCpuMsPerOp)} | ${shown(r.connectionsOpened)} |`,
  );
  return [
    `| scenario (${WORKERS} workers, ${SECONDS} s) | directory | operations/s | requests/s | p50 ms | p99 ms | errors | statements/op | service CPU ms/op | of it in libuv's pool | PostgreSQL CPU ms/op | connections opened |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

if (require.main === module) {
  (async () => {
    const db = await openBenchDatabase(console.log);
    try {
      await seed(db.dataSource, console.log);
      const results = await benchHttp(db.dataSource, db.url);
      console.log(httpTable(results));
      console.log(`\none argon2id verification (the file directory's hash): ${await argon2VerifyCpuMs()} ms of CPU`);
      if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, `${JSON.stringify(results, null, 2)}\n`);
      if (results.some((r) => r.errors > 0)) process.exitCode = 1;
    } finally {
      await db.stop();
    }
  })().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
