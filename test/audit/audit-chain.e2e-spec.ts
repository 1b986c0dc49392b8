import { createLocalJWKSet, jwtVerify } from 'jose';
import { EntityManager } from 'typeorm';
import { AuditCheckpoints, CHECKPOINT_AUDIENCE } from '../../src/audit-chain/audit-checkpoints';
import { AuditSequencer } from '../../src/audit-chain/audit-sequencer';
import { AuditVerifier } from '../../src/audit-chain/audit-verifier';
import { nextLink } from '../../src/audit/audit-chain';
import { AuditChainRepository } from '../../src/audit/audit-chain.repository';
import { AuditLogRepository } from '../../src/audit/audit-log.repository';
import { AuditService } from '../../src/audit/audit.service';
import { AUDIT_EVENT_TYPES } from '../../src/audit/audit-events';
import { chainEverything as chainAllCommitted } from '../support/audit-chain';
import { JobRunner } from '../../src/jobs/job-runner';
import { monthStart } from '../../src/jobs/audit-partitions.job';
import { useTestApp } from '../support/app';
import { cli } from '../support/cli';
import { openDataSource } from '../support/database';

// One case runs the operator CLI (a process that compiles and boots the app).
jest.setTimeout(120_000);

/** Issue 19 item 1: the hash chain over audit_logs, its trigger, signed checkpoints and audit:verify. */
describe('tamper-evident audit chain', () => {
  const t = useTestApp();
  const sequencer = () => t.app.get(AuditSequencer);
  const verify = (options = {}) => t.app.get(AuditVerifier).verify(options);
  const q = <T = Record<string, unknown>>(sql: string, parameters: unknown[] = []) =>
    t.dataSource.query(sql, parameters) as Promise<T[]>;

  /** Several events in one multi-row insert, as the hot paths write them (jsonb_to_recordset). */
  async function writeEvents(clientId: string, count: number, manager = t.dataSource.manager): Promise<void> {
    await new AuditService(new AuditLogRepository()).recordAll(
      manager,
      Array.from({ length: count }, (_, index) => ({
        type: AUDIT_EVENT_TYPES.TOKENS_ISSUED,
        outcome: 'SUCCESS' as const,
        actor: { type: 'CLIENT' as const, id: clientId },
        clientId,
        ip: '192.0.2.9',
        details: { n: index },
      })),
    );
  }

  /**
   * Chains until nothing committed is left unchained (at most 30 s). The sequencer's horizon is the whole
   * server's oldest running transaction, and jest runs spec files side by side on one PostgreSQL server: a
   * transaction open in another file's database holds this one's rows back until it ends, which is the
   * sequencer doing its job (docs/architecture.md, the audit chain), not a row skipped.
   */
  const chainEverything = (chain: () => Promise<unknown> = () => sequencer().chainAll()) =>
    chainAllCommitted(t.dataSource, chain);

  /** A connection of its own whose writes skip triggers (superuser): what an attacker with the database could do. */
  async function asIntruder<T>(work: (db: EntityManager) => Promise<T>): Promise<T> {
    const db = await openDataSource(t.database.url);
    try {
      return await db.transaction(async (tx) => {
        await tx.query(`SET LOCAL session_replication_role = replica`);
        return work(tx);
      });
    } finally {
      await db.destroy();
    }
  }

  it('chains every committed row once, gapless, in commit-safe order, and the chain verifies', async () => {
    await writeEvents('chain-a', 5);
    await chainEverything();
    const rows = await q<{ chain_seq: string; tx: string }>(
      `SELECT chain_seq, tx::text AS tx FROM audit_logs ORDER BY chain_seq`,
    );
    expect(rows.every((row) => row.chain_seq !== null)).toBe(true);
    expect(rows.map((row) => Number(row.chain_seq))).toEqual(rows.map((_, index) => index + 1));
    const report = await verify();
    expect(report).toMatchObject({ ok: true, fromSeq: 1, rowsChecked: rows.length, firstBreak: null, unchained: 0 });
    // SREs see the head and the lag (0: nothing waits) at /metrics.
    const metrics = await (await fetch(`${t.baseUrl}/metrics`)).text();
    expect(metrics).toContain(`ciam_audit_chain_head_seq ${rows.length}`);
    expect(metrics).toContain('ciam_audit_chain_lag_seconds 0');
    expect(metrics).toMatch(new RegExp(`ciam_audit_chain_rows_total ${rows.length}\\b`));
  });

  it('never chains past a transaction still open: its row, committed late, is chained after, nothing is skipped', async () => {
    const runner = t.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      await writeEvents('chain-late', 1, runner.manager); // the lower transaction id, still open
      await writeEvents('chain-early', 2); // committed meanwhile, by a later transaction
      await sequencer().chainAll();
      const unchained = await q<{ client_id: string }>(
        `SELECT client_id FROM audit_logs WHERE client_id LIKE 'chain-%' AND chain_seq IS NULL ORDER BY client_id`,
      );
      // The later transaction's rows wait too: chaining them now would put them ahead of the open one's row.
      expect(unchained.map((row) => row.client_id)).toEqual(['chain-early', 'chain-early']);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    await chainEverything();
    const order = await q<{ client_id: string }>(
      `SELECT client_id FROM audit_logs WHERE client_id IN ('chain-late', 'chain-early') ORDER BY chain_seq`,
    );
    expect(order.map((row) => row.client_id)).toEqual(['chain-late', 'chain-early', 'chain-early']);
    expect(await verify()).toMatchObject({ ok: true, unchained: 0 });
  });

  it('two sequencers (two instances) racing concurrent writers chain every row once, gapless', async () => {
    const other = await openDataSource(t.database.url);
    try {
      // A second instance's sequencer: its own pool on the same database.
      const second = new AuditSequencer(t.config, other, new AuditChainRepository(), new AuditLogRepository());
      const writers = Array.from({ length: 12 }, (_, n) => writeEvents(`chain-race-${n}`, 5));
      await Promise.all([
        ...writers,
        ...Array.from({ length: 4 }, () => sequencer().chainAll()),
        ...Array.from({ length: 4 }, () => second.chainAll()),
      ]);
      await chainEverything(() => Promise.all([sequencer().chainAll(), second.chainAll()]));
    } finally {
      await other.destroy();
    }
    const [stats] = await q<{ rows: number; distinct_seqs: number; max_seq: number; unchained: number }>(
      `SELECT count(*)::int AS rows, count(DISTINCT chain_seq)::int AS distinct_seqs, max(chain_seq)::int AS max_seq,
              count(*) FILTER (WHERE chain_seq IS NULL)::int AS unchained FROM audit_logs`,
    );
    expect(stats).toEqual({ rows: stats.max_seq, distinct_seqs: stats.max_seq, max_seq: stats.rows, unchained: 0 });
    expect(await verify()).toMatchObject({ ok: true, rowsChecked: stats.rows });
  });

  it('the database refuses to change or delete an audit row, and to re-set its chain columns', async () => {
    await writeEvents('chain-refuse', 1);
    const refused = { code: '42501', message: expect.stringContaining('append-only') };
    await expect(q(`UPDATE audit_logs SET details = '{}' WHERE client_id = 'chain-refuse'`)).rejects.toMatchObject(
      refused,
    );
    await expect(q(`DELETE FROM audit_logs WHERE client_id = 'chain-refuse'`)).rejects.toMatchObject(refused);
    await expect(q(`TRUNCATE audit_logs`)).rejects.toMatchObject(refused);
    await chainEverything();
    await expect(
      q(`UPDATE audit_logs SET chain_hash = sha256('x') WHERE client_id = 'chain-refuse'`),
    ).rejects.toMatchObject(refused);
    // Setting the chain columns together with another column is refused too, even from NULL.
    await writeEvents('chain-refuse-2', 1);
    await expect(
      q(
        `UPDATE audit_logs SET content_hash = sha256('x'), chain_seq = 999999, chain_hash = sha256('y'), cupid = 'X'
          WHERE client_id = 'chain-refuse-2'`,
      ),
    ).rejects.toMatchObject(refused);
    expect(await q(`SELECT count(*)::int AS n FROM audit_logs WHERE client_id LIKE 'chain-refuse%'`)).toEqual([
      { n: 2 },
    ]);
  });

  it('signs checkpoints of the head, verifiable against the published JWKS', async () => {
    await writeEvents('chain-cp', 2);
    await chainEverything();
    const seq = await t.app.get(AuditCheckpoints).checkpoint();
    expect(seq).not.toBeNull();
    const [checkpoint] = await q<{ jws: string; chain_hash: Buffer }>(
      `SELECT jws, chain_hash FROM audit_checkpoints WHERE seq = $1`,
      [seq],
    );
    const jwks = (await (await fetch(`${t.baseUrl}/oauth2/jwks`)).json()) as Parameters<typeof createLocalJWKSet>[0];
    const { payload } = await jwtVerify(checkpoint.jws, createLocalJWKSet(jwks), {
      issuer: t.config.oidc.issuer,
      audience: CHECKPOINT_AUDIENCE,
    });
    expect(payload).toMatchObject({ seq, chain_hash: checkpoint.chain_hash.toString('hex') });
    // Nothing new since: no second checkpoint of the same head.
    expect(await t.app.get(AuditCheckpoints).checkpoint()).toBeNull();
    expect(await verify()).toMatchObject({ ok: true, checkpointsVerified: 1 });
  });

  it('audit:verify finds a row changed behind the trigger’s back, and a chain re-computed after it by the checkpoint', async () => {
    await writeEvents('chain-tamper', 3);
    await chainEverything();
    await t.app.get(AuditCheckpoints).checkpoint();
    const [target] = await q<{ id: string; chain_seq: string }>(
      `SELECT id, chain_seq FROM audit_logs WHERE client_id = 'chain-tamper' ORDER BY chain_seq LIMIT 1`,
    );
    const seq = Number(target.chain_seq);
    // Bypassing the trigger (superuser, triggers off for this transaction): the details are rewritten.
    await asIntruder(async (db) => {
      await db.query(`UPDATE audit_logs SET details = '{"n": 42}' WHERE id = $1`, [target.id]);
    });
    expect(await verify()).toMatchObject({
      ok: false,
      firstBreak: { seq, id: target.id, problem: 'content changed' },
    });
    // The operator command reports the same break and exits non-zero.
    const run = await cli(t, 'audit:verify');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout.trim())).toMatchObject({ ok: false, firstBreak: { seq, id: target.id } });
    // A thorough intruder re-computes the row's hash and every later link: only the signed checkpoint disagrees.
    await asIntruder(async (db) => {
      const [previous] = (await db.query(`SELECT chain_hash FROM audit_logs WHERE chain_seq = $1`, [
        seq - 1,
      ])) as Array<{
        chain_hash: Buffer;
      }>;
      let link = previous.chain_hash;
      const later = (await db.query(
        `SELECT id, sha256(convert_to(audit_canonical(a), 'UTF8')) AS content FROM audit_logs a WHERE chain_seq >= $1 ORDER BY chain_seq`,
        [seq],
      )) as Array<{ id: string; content: Buffer }>;
      for (const row of later) {
        link = nextLink(link, row.content);
        await db.query(`UPDATE audit_logs SET content_hash = $2, chain_hash = $3 WHERE id = $1`, [
          row.id,
          row.content,
          link,
        ]);
      }
      await db.query(`UPDATE audit_chain_state SET head_hash = $1`, [link]);
    });
    expect(await verify()).toMatchObject({ ok: false, firstBreak: { problem: 'checkpoint' } });
  });
});

describe('audit retention and the chain', () => {
  const t = useTestApp();

  it('dropping a partition past retention leaves a signed record; audit:verify steps over the hole', async () => {
    const manager = t.dataSource.manager;
    const log = new AuditLogRepository();
    const old = monthStart(new Date(), -(t.config.jobs.auditRetentionMonths + 2));
    await log.ensurePartition(manager, old);
    const audit = new AuditService(log);
    for (let day = 1; day <= 3; day += 1) {
      await audit.record(manager, {
        type: AUDIT_EVENT_TYPES.SERVICE_STARTED,
        outcome: 'SUCCESS',
        actor: { type: 'SYSTEM' },
        at: new Date(old.getTime() + day * 86_400_000),
      });
    }
    await chainAllCommitted(t.dataSource, () => t.app.get(AuditSequencer).chainAll());
    const [{ n: before }] = (await t.dataSource.query(`SELECT count(*)::int AS n FROM audit_logs`)) as Array<{
      n: number;
    }>;
    expect(await t.app.get(JobRunner).run('audit-partitions')).toMatchObject({ status: 'ran' });
    const [prune] = (await t.dataSource.query(
      `SELECT partition, row_count, anchors FROM audit_chain_prunes`,
    )) as Array<{
      partition: string;
      row_count: string;
      anchors: Array<{ seq: number }>;
    }>;
    expect(prune).toMatchObject({ partition: expect.stringMatching(/^audit_logs_\d{4}_\d{2}$/), row_count: '3' });
    await chainAllCommitted(t.dataSource, () => t.app.get(AuditSequencer).chainAll());
    const report = await t.app.get(AuditVerifier).verify();
    expect(report.ok).toBe(true);
    expect(report.pruned.reduce((sum, range) => sum + range.to - range.from + 1, 0)).toBe(3);
    expect(report.rowsChecked).toBeGreaterThanOrEqual(before - 3);
    // Without the signed record, the hole is a break.
    await t.dataSource.query(`DELETE FROM audit_chain_prunes`);
    expect(await t.app.get(AuditVerifier).verify()).toMatchObject({
      ok: false,
      firstBreak: { problem: 'rows missing' },
    });
  });
});
