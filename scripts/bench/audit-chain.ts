/**
 * npm run bench:audit-chain: what the tamper-evident audit chain (issue 19 item 1) costs, on a scratch database
 * of the benchmark's server (the seeded one is left alone): (1) an audit write with the chain's column default
 * and partial index, against the same write without them, in alternating rounds of multi-row inserts as the
 * hot paths send them; (2) the sequencer's rows per second; (3) audit:verify's rows per second.
 * Prints one JSON line; the figures go to docs/performance.md by hand.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { AuditSequencer } from '../../src/audit-chain/audit-sequencer';
import { AuditVerifier } from '../../src/audit-chain/audit-verifier';
import { AuditChainRepository } from '../../src/audit/audit-chain.repository';
import { AuditLogInsert, AuditLogRepository } from '../../src/audit/audit-log.repository';
import { AppConfig, loadConfig } from '../../src/config/config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import type { SigningKeysService } from '../../src/tokens/keys/signing-keys.service';
import { openBenchDatabase, progress } from './bench-db';

const ROWS = Number(process.env.BENCH_CHAIN_ROWS ?? 50_000);
const PER_STATEMENT = 10;
const ROUNDS = 4;

function event(n: number): AuditLogInsert {
  return {
    at: null,
    eventType: 'tokens.issued',
    outcome: 'SUCCESS',
    actorType: 'CLIENT',
    actorId: 'bench-spa',
    cupid: `CUPID-BENCH-${n % 5000}`,
    sessionId: null,
    contextId: null,
    clientId: 'bench-spa',
    ip: '10.1.2.3',
    userAgent: 'bench',
    details: { grant: 'refresh_token', n },
  };
}

/** Microseconds per row for `rows` rows written as statements of PER_STATEMENT rows. */
async function writeCost(db: DataSource, log: AuditLogRepository, rows: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < rows; i += PER_STATEMENT)
    await log.appendAll(
      db.manager,
      Array.from({ length: PER_STATEMENT }, (_, k) => event(i + k)),
    );
  return ((performance.now() - started) * 1000) / rows;
}

(async () => {
  const bench = await openBenchDatabase(console.log);
  const name = 'ciam_bench_chain';
  await bench.dataSource.query(`DROP DATABASE IF EXISTS ${name}`);
  await bench.dataSource.query(`CREATE DATABASE ${name}`);
  const url = bench.url.replace(/\/[^/?]+(\?|$)/, `/${name}$1`);
  const config: AppConfig = loadConfig({ NODE_ENV: 'test' });
  const db = new DataSource({ ...dataSourceOptions(config, url), migrationsRun: false });
  await db.initialize();
  try {
    await db.runMigrations({ transaction: 'each' });
    const log = new AuditLogRepository();
    const chain = new AuditChainRepository();
    const perRound = Math.floor(ROWS / 2 / ROUNDS / PER_STATEMENT) * PER_STATEMENT;
    // (1) Alternating rounds: with the chain's default and index, then without (dropped and put back).
    const withChain: number[] = [];
    const without: number[] = [];
    await writeCost(db, log, 2000); // warm-up
    for (let round = 0; round < ROUNDS; round += 1) {
      progress(`audit-chain: write round ${round + 1}/${ROUNDS}`);
      withChain.push(await writeCost(db, log, perRound));
      await db.query(`DROP INDEX idx_audit_unchained; ALTER TABLE audit_logs ALTER COLUMN tx DROP DEFAULT`);
      without.push(await writeCost(db, log, perRound));
      await db.query(
        `ALTER TABLE audit_logs ALTER COLUMN tx SET DEFAULT pg_current_xact_id();
         CREATE INDEX idx_audit_unchained ON audit_logs (tx NULLS FIRST, id) WHERE chain_seq IS NULL`,
      );
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    // (2) The sequencer over everything written (rows without tx, written "before the migration", go first).
    const sequencer = new AuditSequencer(config, db, chain, log);
    const [{ n: backlog }] = await db.query(`SELECT count(*)::int AS n FROM audit_logs WHERE chain_seq IS NULL`);
    progress(`audit-chain: chaining ${backlog} rows`);
    let started = performance.now();
    const chained = await sequencer.chainAll();
    const chainSeconds = (performance.now() - started) / 1000;
    // (3) audit:verify over the whole chain (no checkpoint: the signing keys are not needed).
    const verifier = new AuditVerifier(db, chain, {} as SigningKeysService);
    progress(`audit-chain: verifying ${chained} rows`);
    started = performance.now();
    const report = await verifier.verify();
    const verifySeconds = (performance.now() - started) / 1000;
    process.stderr.write('\n');
    console.log(
      JSON.stringify({
        rows: chained,
        writeMicrosPerRow: { withChain: Math.round(median(withChain)), without: Math.round(median(without)) },
        statementRows: PER_STATEMENT,
        sequencerRowsPerSecond: Math.round(chained / chainSeconds),
        batchSize: config.jobs.auditChainBatchSize,
        verifyRowsPerSecond: Math.round(report.rowsChecked / verifySeconds),
        verifyOk: report.ok,
      }),
    );
  } finally {
    await db.destroy();
    await bench.dataSource.query(`DROP DATABASE IF EXISTS ${name}`);
    await bench.stop();
  }
})().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
