import { SchedulerRegistry } from '@nestjs/schedule';
import { JobRunner } from '../../src/jobs/job-runner';
import { startTestApp, TestApp, useTestApp } from '../support/app';
import { createTestDatabase } from '../support/database';
import { cli } from '../support/cli';
import {
  ago,
  newAuditEvent,
  newDrsEvaluation,
  newJourney,
  newMfaFailure,
  newPushChallenge,
  newPushPrompt,
  newSession,
  newToken,
  newTransaction,
  sha256,
} from '../support/factories';

// Each operator-CLI case starts a process that compiles and boots the app: on a busy 2-core machine
// that alone can take tens of seconds, which is not what these cases measure.
jest.setTimeout(120_000);

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Each job against real rows: what is past its time changes, what is not stays. */
describe('scheduled jobs', () => {
  const t = useTestApp();
  const run = (name: string, slot?: Date) => t.app.get(JobRunner).run(name, { slot });
  const q = (sql: string, parameters: unknown[] = []) => t.dataSource.query(sql, parameters);

  async function context(
    createdAt: Date,
    expiresAt: Date,
    status: 'PENDING' | 'COMPLETED' = 'PENDING',
  ): Promise<string> {
    return (await newJourney(t.dataSource, { cupid: 'CUPID-JOB', status, createdAt, expiresAt })).id;
  }

  it('expire-transactions: pending transactions past expiry become EXPIRED, others stay', async () => {
    const ctx = await context(ago(HOUR), ago(-HOUR));
    await newTransaction(t.dataSource, {
      contextId: ctx,
      token: 'job-tx-old',
      createdAt: ago(10 * MINUTE),
      expiresAt: ago(MINUTE),
    });
    await newTransaction(t.dataSource, { contextId: ctx, token: 'job-tx-new', expiresAt: ago(-4 * MINUTE) });
    expect(await run('expire-transactions')).toMatchObject({ status: 'ran', rows: 1 });
    expect(
      await q(
        `SELECT token_hash = $2 AS old, status FROM auth_transactions WHERE context_id = $1 ORDER BY status::text`,
        [ctx, sha256('job-tx-old')],
      ),
    ).toEqual([
      { old: true, status: 'EXPIRED' },
      { old: false, status: 'PENDING' },
    ]);
  });

  it('expire-contexts: pending journeys past expiry become EXPIRED', async () => {
    const old = await context(ago(HOUR), ago(MINUTE));
    const live = await context(ago(MINUTE), ago(-14 * MINUTE));
    expect(await run('expire-contexts')).toMatchObject({ status: 'ran', rows: 1 });
    expect(
      await q(`SELECT id, status FROM auth_contexts WHERE id IN ($1, $2) ORDER BY status::text`, [old, live]),
    ).toEqual([
      { id: old, status: 'EXPIRED' },
      { id: live, status: 'PENDING' },
    ]);
  });

  it('expire-sessions: sessions past idle or absolute expiry end with their tokens; lone expired tokens end too', async () => {
    const idle = await newSession(t.dataSource, {
      cupid: 'CUPID-JOB',
      createdAt: ago(2 * HOUR),
      idleExpiresAt: ago(HOUR),
      absoluteExpiresAt: ago(-10 * HOUR),
    });
    const live = await newSession(t.dataSource, {
      cupid: 'CUPID-JOB',
      idleExpiresAt: ago(-20 * MINUTE),
      absoluteExpiresAt: ago(-10 * HOUR),
    });
    // A live token of the idle session (it ends with its session) and an expired one of the live session.
    await newToken(t.dataSource, {
      value: 'job-at-1',
      sessionId: idle.id,
      createdAt: ago(2 * HOUR),
      expiresAt: ago(-MINUTE),
    });
    await newToken(t.dataSource, {
      value: 'job-at-2',
      sessionId: live.id,
      createdAt: ago(10 * MINUTE),
      expiresAt: ago(5 * MINUTE),
    });
    expect(await run('expire-sessions')).toMatchObject({ status: 'ran', rows: 2 });
    expect(await q(`SELECT status FROM sessions WHERE id = $1`, [idle.id])).toEqual([{ status: 'EXPIRED' }]);
    expect(await q(`SELECT status FROM sessions WHERE id = $1`, [live.id])).toEqual([{ status: 'ACTIVE' }]);
    expect(
      await q(`SELECT status FROM tokens WHERE value_hash = ANY($1) ORDER BY status`, [
        [sha256('job-at-1'), sha256('job-at-2')],
      ]),
    ).toEqual([{ status: 'EXPIRED' }, { status: 'EXPIRED' }]);
  });

  it('purge-journey-data: journey data past 90 days goes (with its steps and evaluations), recent data stays, and the run is audited', async () => {
    const old = await context(ago(100 * DAY), ago(99 * DAY), 'COMPLETED');
    const recent = await context(ago(10 * DAY), ago(9 * DAY), 'COMPLETED');
    for (const ctx of [old, recent]) {
      await newTransaction(t.dataSource, {
        contextId: ctx,
        status: 'CONSUMED',
        consumedAt: new Date(),
        createdAt: ago(100 * DAY),
        expiresAt: ago(99 * DAY),
      });
      await newDrsEvaluation(t.dataSource, { contextId: ctx });
    }
    const ended = await newSession(t.dataSource, {
      cupid: 'CUPID-JOB',
      status: 'REVOKED',
      revokedAt: ago(99 * DAY),
      createdAt: ago(100 * DAY),
      idleExpiresAt: ago(100 * DAY),
      absoluteExpiresAt: ago(99 * DAY),
    });
    await newToken(t.dataSource, {
      value: 'purge-token',
      sessionId: ended.id,
      status: 'REVOKED',
      createdAt: ago(100 * DAY),
      expiresAt: ago(99 * DAY),
      revokedAt: ago(100 * DAY),
    });

    const outcome = await run('purge-journey-data');
    expect(outcome).toMatchObject({ status: 'ran' });
    expect(await q(`SELECT id FROM auth_contexts WHERE id IN ($1, $2)`, [old, recent])).toEqual([{ id: recent }]);
    expect(await q(`SELECT count(*)::int AS n FROM auth_transactions WHERE context_id = $1`, [old])).toEqual([
      { n: 0 },
    ]);
    expect(await q(`SELECT count(*)::int AS n FROM drs_evaluations WHERE context_id = $1`, [recent])).toEqual([
      { n: 1 },
    ]);
    expect(await q(`SELECT count(*)::int AS n FROM sessions WHERE id = $1`, [ended.id])).toEqual([{ n: 0 }]);
    expect(await q(`SELECT count(*)::int AS n FROM tokens WHERE value_hash = $1`, [sha256('purge-token')])).toEqual([
      { n: 0 },
    ]);
    const [audit] = await q(
      `SELECT actor_id, details FROM audit_logs WHERE event_type = 'job.completed' AND actor_id = 'purge-journey-data'`,
    );
    expect(audit.details).toMatchObject({ job: 'purge-journey-data', rows: (outcome as { rows: number }).rows });
  });

  it('purge-journey-data: passkey registration challenges past their expiry go, live ones stay', async () => {
    for (const [hash, expiresAt] of [
      ['expired', ago(MINUTE)],
      ['live', new Date(Date.now() + 10 * MINUTE * 1000)],
    ] as const)
      await q(
        `INSERT INTO passkey_registrations (challenge_hash, cupid, session_id, created_at, expires_at)
         VALUES ($1, 'CUPID-JOB', gen_random_uuid(), now(), $2)`,
        [sha256(hash), expiresAt],
      );
    expect(await run('purge-journey-data')).toMatchObject({ status: 'ran' });
    expect(await q(`SELECT challenge_hash FROM passkey_registrations`)).toEqual([{ challenge_hash: sha256('live') }]);
  });

  it('purge-journey-data: email codes and send records, finished factor resets and dead API tokens past retention go; live ones stay', async () => {
    const old = ago(100 * DAY);
    const soon = new Date(Date.now() + 10 * MINUTE * 1000);
    // Email: an old spent code, an old expired one, a recent pending one; an old and a recent send record.
    for (const [cupid, createdAt, expiresAt, consumedAt] of [
      ['CUPID-E1', old, ago(99 * DAY), ago(99 * DAY)],
      ['CUPID-E2', old, ago(99 * DAY), null],
      ['CUPID-E3', ago(MINUTE), soon, null],
    ] as const)
      await q(
        `INSERT INTO email_verifications (id, cupid, address, code_hash, created_at, last_sent_at, expires_at, consumed_at)
         VALUES (gen_random_uuid(), $1, 'someone@example.com', '\\x00', $2, $2, $3, $4)`,
        [cupid, createdAt, expiresAt, consumedAt],
      );
    for (const [cupid, createdAt] of [
      ['CUPID-E1', old],
      ['CUPID-E3', ago(MINUTE)],
    ] as const)
      await q(
        `INSERT INTO email_deliveries (cupid, recipient_hash, purpose, created_at) VALUES ($1, '\\x01', 'login', $2)`,
        [cupid, createdAt],
      );
    // Factor resets: an old applied one, an old lapsed pending one, a recent pending one.
    for (const [cupid, status, requestedAt, expiresAt] of [
      ['CUPID-R1', 'APPLIED', old, ago(99 * DAY)],
      ['CUPID-R2', 'PENDING', old, ago(99 * DAY)],
      ['CUPID-R3', 'PENDING', ago(MINUTE), soon],
    ] as const)
      await q(
        `INSERT INTO factor_resets (cupid, reason, requested_by, requested_at, expires_at, status)
         VALUES ($1, 'lost phone', 'agent-1', $3, $4, $2)`,
        [cupid, status, requestedAt, expiresAt],
      );
    // API tokens: one revoked long ago, one expired long ago, one live and one revoked yesterday.
    const [owner] = await q(
      `INSERT INTO api_token_owners (owner_type, cupid, created_at) VALUES ('CUSTOMER', 'CUPID-T', now()) RETURNING id`,
    );
    for (const [name, revokedAt, expiresAt] of [
      ['revoked-old', old, null],
      ['expired-old', null, old],
      ['live', null, soon],
      ['revoked-recent', ago(DAY), null],
    ] as const)
      await q(
        `INSERT INTO api_tokens (owner_id, cupid, name, token_hash, created_at, revoked_at, expires_at)
         VALUES ($1, 'CUPID-T', $2, $3, $4, $5, $6)`,
        [owner.id, name, sha256(name), ago(200 * DAY), revokedAt, expiresAt],
      );

    expect(await run('purge-journey-data')).toMatchObject({ status: 'ran' });

    expect(await q(`SELECT cupid FROM email_verifications ORDER BY cupid`)).toEqual([{ cupid: 'CUPID-E3' }]);
    expect(await q(`SELECT cupid FROM email_deliveries ORDER BY cupid`)).toEqual([{ cupid: 'CUPID-E3' }]);
    expect(await q(`SELECT cupid FROM factor_resets ORDER BY cupid`)).toEqual([{ cupid: 'CUPID-R3' }]);
    expect(await q(`SELECT name FROM api_tokens ORDER BY name`)).toEqual([
      { name: 'live' },
      { name: 'revoked-recent' },
    ]);
  });

  it('purge-journey-data: push prompts, push challenges and wrong MFA codes past retention go; recent ones, and wrong codes still in the MFA window, stay', async () => {
    const old = await context(ago(100 * DAY), ago(99 * DAY), 'COMPLETED');
    const recent = await context(ago(10 * DAY), ago(9 * DAY), 'COMPLETED');
    const cupid = 'CUPID-JOB';
    for (const [contextId, at] of [
      [old, ago(100 * DAY)],
      [recent, ago(10 * DAY)],
      [recent, ago(MINUTE)],
    ] as const) {
      await newPushPrompt(t.dataSource, { cupid, contextId, at });
    }
    for (const [contextId, at] of [
      [old, ago(100 * DAY)],
      [recent, ago(10 * DAY)],
      [recent, ago(HOUR)],
    ] as const) {
      await newMfaFailure(t.dataSource, { cupid, contextId, at });
    }
    await newPushChallenge(t.dataSource, {
      cupid,
      contextId: old,
      number: 42,
      createdAt: ago(100 * DAY),
      expiresAt: ago(100 * DAY),
    });
    await newPushChallenge(t.dataSource, {
      cupid,
      contextId: recent,
      number: 43,
      createdAt: ago(10 * DAY),
      expiresAt: ago(10 * DAY),
    });

    expect(await run('purge-journey-data')).toMatchObject({ status: 'ran' });
    expect(await q(`SELECT count(*)::int AS n FROM push_prompts WHERE cupid = 'CUPID-JOB'`)).toEqual([{ n: 2 }]);
    expect(await q(`SELECT number FROM push_challenges WHERE cupid = 'CUPID-JOB'`)).toEqual([{ number: 43 }]);
    expect(await q(`SELECT count(*)::int AS n FROM push_prompts WHERE sent_at < now() - interval '90 days'`)).toEqual([
      { n: 0 },
    ]);
    expect(await q(`SELECT count(*)::int AS n FROM mfa_code_failures WHERE cupid = 'CUPID-JOB'`)).toEqual([{ n: 2 }]);
    expect(
      await q(`SELECT count(*)::int AS n FROM mfa_code_failures WHERE failed_at < now() - interval '90 days'`),
    ).toEqual([{ n: 0 }]);
  });

  it('rotate-signing-key: rotates a key older than 90 days, leaves a fresh one', async () => {
    expect(await run('rotate-signing-key')).toMatchObject({ status: 'ran', rows: 0 });
    await q(`UPDATE signing_keys SET created_at = now() - interval '91 days' WHERE status = 'ACTIVE'`);
    expect(await run('rotate-signing-key')).toMatchObject({ status: 'ran', rows: 1 });
    expect(await q(`SELECT status, count(*)::int AS n FROM signing_keys GROUP BY status ORDER BY status`)).toEqual([
      { status: 'ACTIVE', n: 1 },
      { status: 'RETIRED', n: 1 },
    ]);
  });

  it('reports each run in job_runs and in Prometheus metrics', async () => {
    await run('expire-contexts');
    const [row] = await q(
      `SELECT last_status, last_success_at IS NOT NULL AS succeeded FROM job_runs WHERE job_name = 'expire-contexts'`,
    );
    expect(row).toEqual({ last_status: 'SUCCESS', succeeded: true });
    const metrics = await (await fetch(`${t.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/ciam_job_runs_total\{job="expire-contexts",outcome="success"\} [1-9]/);
    expect(metrics).toMatch(/ciam_job_last_success_timestamp_seconds\{job="expire-contexts"\} \d/);
  });
});

describe('purge-journey-data with a retention shorter than the MFA failure window', () => {
  const t = useTestApp({ env: { JOURNEY_RETENTION_DAYS: '1', MFA_CODE_FAILURE_WINDOW_SECONDS: '604800' } });
  const q = (sql: string, parameters: unknown[] = []) => t.dataSource.query(sql, parameters);

  it("keeps wrong codes within the window (the customer's count never drops), deletes those past it and past retention", async () => {
    for (const at of [ago(3 * DAY), ago(8 * DAY)]) await newMfaFailure(t.dataSource, { cupid: 'CUPID-WINDOW', at });
    for (const at of [ago(3 * DAY), ago(HOUR)]) await newPushPrompt(t.dataSource, { cupid: 'CUPID-WINDOW', at });
    expect(await t.app.get(JobRunner).run('purge-journey-data')).toMatchObject({ status: 'ran' });
    expect(
      await q(
        `SELECT count(*)::int AS n, bool_and(failed_at > now() - interval '4 days') AS recent FROM mfa_code_failures WHERE cupid = 'CUPID-WINDOW'`,
      ),
    ).toEqual([{ n: 1, recent: true }]);
    expect(await q(`SELECT count(*)::int AS n FROM push_prompts WHERE cupid = 'CUPID-WINDOW'`)).toEqual([{ n: 1 }]);
  });
});

describe('audit partitions across month and year boundaries (injected clock)', () => {
  const t = useTestApp({ env: { AUDIT_RETENTION_MONTHS: '24' } });
  const partitions = async () =>
    (
      await t.dataSource.query(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_logs'::regclass ORDER BY 1`,
      )
    ).map((row: { name: string }) => row.name);

  it('creates the next partitions ahead across a year boundary, and moves rows out of the default partition', async () => {
    await newAuditEvent(t.dataSource, { at: new Date('2027-02-10T00:00:00Z') });
    t.clock.advance((Date.parse('2026-12-31T23:30:00Z') - Date.now()) / 1000);
    expect(await t.app.get(JobRunner).run('audit-partitions')).toMatchObject({ status: 'ran' });
    expect(await partitions()).toEqual(
      expect.arrayContaining(['audit_logs_2026_12', 'audit_logs_2027_01', 'audit_logs_2027_02']),
    );
    const [row] = await t.dataSource.query(
      `SELECT tableoid::regclass::text AS partition FROM audit_logs WHERE created_at = '2027-02-10T00:00:00Z'`,
    );
    expect(row.partition).toBe('audit_logs_2027_02');
  });

  it('detaches and drops partitions past retention, audited, and clears old rows from the default partition', async () => {
    await t.dataSource.query(`SELECT create_audit_partition('2024-10-01')`);
    await newAuditEvent(t.dataSource, { at: new Date('2024-10-05T00:00:00Z') });
    await newAuditEvent(t.dataSource, { at: new Date('2001-01-01T00:00:00Z') });
    t.clock.reset();
    t.clock.advance((Date.parse('2026-12-15T12:00:00Z') - Date.now()) / 1000);
    expect(await t.app.get(JobRunner).run('audit-partitions')).toMatchObject({ status: 'ran' });
    expect(await partitions()).not.toContain('audit_logs_2024_10');
    expect(await partitions()).toContain('audit_logs_2026_12');
    expect(
      await t.dataSource.query(`SELECT count(*)::int AS n FROM audit_logs WHERE created_at < '2024-12-01'`),
    ).toEqual([{ n: 0 }]);
    const [event] = await t.dataSource.query(
      `SELECT details FROM audit_logs WHERE event_type = 'audit.partition_dropped'`,
    );
    // The dropped row was chained first, and the signed retention record names its seq.
    expect(event.details).toEqual({
      partition: 'audit_logs_2024_10',
      retentionMonths: 24,
      firstSeq: expect.any(Number),
      lastSeq: expect.any(Number),
      rows: 1,
    });
  });
});

describe('three instances on one database', () => {
  it('run a job for one scheduled moment exactly once', async () => {
    const database = await createTestDatabase();
    const apps: TestApp[] = [];
    try {
      for (let i = 0; i < 3; i += 1) apps.push(await startTestApp({ database }));
      for (let i = 0; i < 50; i += 1) {
        await newJourney(apps[0].dataSource, { createdAt: ago(HOUR), expiresAt: ago(MINUTE) });
      }
      const slot = new Date(Math.floor(Date.now() / 60_000) * 60_000);
      const outcomes = await Promise.all(apps.map((app) => app.app.get(JobRunner).run('expire-contexts', { slot })));
      const ran = outcomes.filter((outcome) => outcome.status === 'ran');
      expect(ran).toEqual([{ status: 'ran', rows: 50, durationMs: expect.any(Number) }]);
      expect(outcomes.filter((outcome) => outcome.status === 'skipped')).toHaveLength(2);
      // A late tick for the same slot does nothing either.
      expect(await apps[1].app.get(JobRunner).run('expire-contexts', { slot })).toEqual({
        status: 'skipped',
        reason: 'slot already run',
      });
    } finally {
      for (const app of apps) await app.app.close();
      await database.drop();
    }
  });
});

describe('the scheduler', () => {
  const t = useTestApp({ env: { JOBS_ENABLED: 'true', JOB_ROTATE_SIGNING_KEY_CRON: '' } });

  it('registers each job with its cron schedule, and leaves out a job whose schedule is empty', () => {
    const names = [...t.app.get(SchedulerRegistry).getCronJobs().keys()].sort();
    expect(names).toEqual([
      'audit-chain',
      'audit-checkpoint',
      'audit-partitions',
      'expire-contexts',
      'expire-sessions',
      'expire-transactions',
      'purge-journey-data',
      'purge-outbox',
      'purge-used-jtis',
    ]);
  });
});

describe('npm run cli -- jobs:run', () => {
  const t = useTestApp();

  it('runs a job now and prints what it did; jobs:status shows the last runs', async () => {
    await newJourney(t.dataSource, { createdAt: ago(HOUR), expiresAt: ago(MINUTE) });
    const result = await cli(t, 'jobs:run', 'expire-contexts');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ job: 'expire-contexts', status: 'ran', rows: 1 });
    const status = await cli(t, 'jobs:status');
    expect(status.stdout).toContain('"job_name":"expire-contexts"');
    const unknown = await cli(t, 'jobs:run', 'make-coffee');
    expect(unknown.code).toBe(2);
  });
});
