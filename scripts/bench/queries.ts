/**
 * npm run bench:queries: the service's hot queries, called through the repositories themselves (not
 * rewritten here), thousands of times each against the seeded database; p50/p95/p99 against the
 * customer's targets, with each query's EXPLAIN (ANALYZE, BUFFERS) plan so a missing index shows.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditTrailRepository } from '../../src/audit/audit-trail.repository';
import { hmacSha256 } from '../../src/common/crypto';
import { AuthTransactionsRepository } from '../../src/journeys/auth-transactions.repository';
import { otpMatches } from '../../src/mfa/otp';
import { SessionsRepository } from '../../src/sessions/sessions.repository';
import { TokensRepository } from '../../src/tokens/tokens.repository';
import { BenchDatabase, openBenchDatabase, progress } from './bench-db';
import { pin, pinMatching, SERVER_CPU } from './pin';
import { seed } from './seed';

export interface QueryResult {
  name: string;
  targetMs: number;
  iterations: number;
  p50: number;
  p95: number;
  p99: number;
  meetsTarget: boolean;
  plan: string;
}

const ITERATIONS = Number(process.env.BENCH_QUERY_ITERATIONS ?? 2000);
const ROUNDS = 3;

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Records the last statement a repository sent, to EXPLAIN exactly that. */
function recordingManager(dataSource: DataSource): {
  manager: EntityManager;
  last: () => { sql: string; parameters: unknown[] };
} {
  let last = { sql: '', parameters: [] as unknown[] };
  const manager = Object.create(dataSource.manager) as EntityManager;
  manager.query = ((sql: string, parameters: unknown[] = []) => {
    last = { sql, parameters };
    return dataSource.manager.query(sql, parameters);
  }) as EntityManager['query'];
  // Statements the repositories send straight to the pool (poolStatement, statementRows outside a transaction)
  // are recorded too: the manager's data source hands out a pool whose query() notes the statement first.
  type PoolQuery = (statement: string | { text: string; values?: unknown[] }, values?: unknown[]) => Promise<unknown>;
  const pool = (dataSource.driver as unknown as { master: { query: PoolQuery } }).master;
  const recordingPool = {
    query: ((statement, values) => {
      last =
        typeof statement === 'string'
          ? { sql: statement, parameters: values ?? [] }
          : { sql: statement.text, parameters: statement.values ?? [] };
      return pool.query(statement, values);
    }) as PoolQuery,
  };
  const driver = Object.create(dataSource.driver, { master: { value: recordingPool } }) as object;
  Object.defineProperty(manager, 'dataSource', { value: Object.create(dataSource, { driver: { value: driver } }) });
  return { manager, last: () => last };
}

async function explain(dataSource: DataSource, sql: string, parameters: unknown[]): Promise<string> {
  // In a transaction that is rolled back: EXPLAIN ANALYZE runs the statement (and takes its locks).
  const runner = dataSource.createQueryRunner();
  await runner.startTransaction();
  try {
    const rows: Array<{ 'QUERY PLAN': string }> = await runner.query(
      `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`,
      parameters,
    );
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    await runner.rollbackTransaction();
    await runner.release();
  }
}

/**
 * Times `call` per sample. `call` receives a stopwatch and may start it itself (to leave out setup such as
 * opening a transaction); otherwise the whole call is timed. Time is client-side: it includes the
 * driver and the loopback round trip, as the service sees it.
 */
async function measure(
  name: string,
  targetMs: number,
  samples: unknown[][],
  call: (sample: unknown[], watch: { start(): void; stop(): void }) => Promise<unknown>,
): Promise<Omit<QueryResult, 'plan'>> {
  const noWatch = { start: () => undefined, stop: () => undefined };
  // One pass over every sample first: the rows the service looks up are the recent, hot ones (tokens it
  // just issued, journeys in progress), so the measurement is of a warm cache, as in production.
  for (const sample of samples) await call(sample, noWatch);
  // Three rounds; the round with the median p99 is reported, so one burst of noise on a shared two-core
  // machine (a garbage collection, another process) does not decide the result either way.
  const rounds: number[][] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const timings: number[] = [];
    for (let i = 0; i < ITERATIONS; i += 1) {
      const sample = samples[i % samples.length];
      let started = performance.now();
      let elapsed: number | undefined;
      await call(sample, {
        start: () => (started = performance.now()),
        stop: () => (elapsed = performance.now() - started),
      });
      timings.push(elapsed ?? performance.now() - started);
      if (i % 500 === 0) progress(`queries: ${name} round ${round + 1}/${ROUNDS} ${i}/${ITERATIONS}`);
    }
    rounds.push(timings.sort((a, b) => a - b));
  }
  rounds.sort((a, b) => percentile(a, 99) - percentile(b, 99));
  const timings = rounds[Math.floor(ROUNDS / 2)];
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  const p99 = round(percentile(timings, 99));
  return {
    name,
    targetMs,
    iterations: ITERATIONS * ROUNDS,
    p50: round(percentile(timings, 50)),
    p95: round(percentile(timings, 95)),
    p99,
    meetsTarget: p99 < targetMs,
  };
}

export async function benchQueries(dataSource: DataSource): Promise<QueryResult[]> {
  // BENCH_PIN=1: this process (the repositories' caller) and PostgreSQL on one core, as the HTTP benchmark puts
  // the service and its database. Unpinned, each of the thousands of sequential round trips wakes the other,
  // idle, virtual CPU, and on this machine that wake-up (the hypervisor's, not the query's) decides the p99:
  // the same statements measured 0.6 to 1.9 ms at p99 unpinned on an idle machine and under 1 ms pinned.
  pin(process.pid, SERVER_CPU);
  pinMatching('bench-postgres', SERVER_CPU);
  const tokens = new TokensRepository(dataSource);
  const transactions = new AuthTransactionsRepository();
  const results: QueryResult[] = [];
  const plan = async (run: (manager: EntityManager, fakeDataSource: DataSource) => Promise<unknown>) => {
    const recorder = recordingManager(dataSource);
    await run(recorder.manager, { manager: recorder.manager } as DataSource);
    return explain(dataSource, recorder.last().sql, recorder.last().parameters);
  };

  // 1. Token validation (introspection, userinfo, self-service): one row by value hash.
  const tokenSamples = (await dataSource.query(`SELECT value_hash FROM tokens TABLESAMPLE SYSTEM (1) LIMIT 2000`)).map(
    (row: { value_hash: Buffer }) => [row.value_hash],
  );
  results.push({
    ...(await measure('token validation (tokens by value hash)', 1, tokenSamples, ([hash]) =>
      tokens.findStateByValueHash(hash as Buffer),
    )),
    plan: await plan((manager) => tokens.findStateByValueHash(tokenSamples[0][0] as Buffer, manager)),
  });

  // 2. Active transaction lookup: claiming a journey's pending step (row-locked, inside a transaction).
  const pending = (
    await dataSource.query(
      `SELECT token_hash, context_id, step FROM auth_transactions WHERE status = 'PENDING' AND expires_at > now() LIMIT 2000`,
    )
  ).map((row: { token_hash: Buffer; context_id: string; step: string }) => [row.token_hash, row.context_id, row.step]);
  const inTransaction = async (work: (manager: EntityManager) => Promise<unknown>) => {
    const runner = dataSource.createQueryRunner();
    await runner.startTransaction();
    try {
      return await work(runner.manager);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  };
  const now = new Date();
  // A claim holds the step for a lease (rolled back here, like every measured statement).
  const leaseEnd = new Date(now.getTime() + 30_000);
  results.push({
    ...(await measure('active transaction lookup (claim a pending step)', 1, pending, ([hash, context, step], watch) =>
      inTransaction(async (manager) => {
        watch.start();
        await transactions.claim(
          manager,
          hash as Buffer,
          context as string,
          step as never,
          now,
          randomUUID(),
          leaseEnd,
        );
        watch.stop();
      }),
    )),
    plan: await plan((manager) =>
      transactions.claim(
        manager,
        pending[0][0] as Buffer,
        pending[0][1] as string,
        pending[0][2] as never,
        now,
        randomUUID(),
        leaseEnd,
      ),
    ),
  });

  // 3. Sessions by CUPID (self-service list; heavy customers included by the skew).
  const cupids = (await dataSource.query(`SELECT cupid FROM sessions TABLESAMPLE SYSTEM (1) LIMIT 2000`)).map(
    (row: { cupid: string }) => [row.cupid],
  );
  const sessions = new SessionsRepository(dataSource);
  results.push({
    ...(await measure('sessions by CUPID (live sessions)', 5, cupids, ([cupid]) =>
      sessions.listLive(cupid as string, now),
    )),
    plan: await plan((_manager, fake) => new SessionsRepository(fake).listLive(cupids[0][0] as string, now)),
  });

  // 4. Audit trail by CUPID, newest 50.
  const audit = new AuditTrailRepository(dataSource);
  results.push({
    ...(await measure('audit log by CUPID (newest 50)', 10, cupids, ([cupid]) =>
      audit.page({ cupid: cupid as string, limit: 50 }),
    )),
    plan: await plan((_manager, fake) =>
      new AuditTrailRepository(fake).page({ cupid: cupids[0][0] as string, limit: 50 }),
    ),
  });

  // 5. MFA verification: claim the pending SMS step and compare the code's keyed hash in constant time.
  const otpKey = hmacSha256(Buffer.alloc(32, 1), 'ciam:otp-hmac:v1');
  const otpSteps = (
    await dataSource.query(
      `SELECT token_hash, context_id FROM auth_transactions WHERE status = 'PENDING' AND step = 'SMS_OTP' AND otp_hash IS NOT NULL AND expires_at > now() LIMIT 2000`,
    )
  ).map((row: { token_hash: Buffer; context_id: string }) => [row.token_hash, row.context_id]);
  results.push({
    ...(await measure(
      'MFA verification (claim the SMS step and check the code)',
      2,
      otpSteps,
      ([hash, context], watch) =>
        inTransaction(async (manager) => {
          watch.start();
          const claimed = await transactions.claim(
            manager,
            hash as Buffer,
            context as string,
            'SMS_OTP',
            now,
            randomUUID(),
            leaseEnd,
          );
          const matches = claimed?.otpHash ? otpMatches(otpKey, context as string, '123456', claimed.otpHash) : false;
          watch.stop();
          return matches;
        }),
    )),
    plan: await plan((manager) =>
      transactions.claim(
        manager,
        otpSteps[0][0] as Buffer,
        otpSteps[0][1] as string,
        'SMS_OTP',
        now,
        randomUUID(),
        leaseEnd,
      ),
    ),
  });
  process.stderr.write('\n');
  return results;
}

export function queriesTable(results: QueryResult[]): string {
  const rows = results.map(
    (r) => `| ${r.name} | ${r.p50} | ${r.p95} | ${r.p99} | < ${r.targetMs} | ${r.meetsTarget ? 'yes' : '**no**'} |`,
  );
  return ['| query | p50 ms | p95 ms | p99 ms | target | met |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

if (require.main === module) {
  (async () => {
    const db: BenchDatabase = await openBenchDatabase(console.log);
    try {
      await seed(db.dataSource, console.log);
      const results = await benchQueries(db.dataSource);
      console.log(queriesTable(results));
      for (const result of results) console.log(`\n${result.name}:\n${result.plan}`);
    } finally {
      await db.stop();
    }
  })().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
