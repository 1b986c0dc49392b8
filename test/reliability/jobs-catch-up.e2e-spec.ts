import { DataSource } from 'typeorm';
import { JobScheduler } from '../../src/jobs/job-scheduler';
import { previousSlot } from '../../src/jobs/previous-slot';
import { startTestApp, TestApp } from '../support/app';
import { createTestDatabase, openDataSource, TestDatabase } from '../support/database';
import { ago, newJobRun, newJourney } from '../support/factories';

const DAY = 24 * 60 * 60;

const PURGE_CRON = '30 3 * * *';
/** Only the daily purge is scheduled, so nothing else runs behind the test's back. */
const ONLY_PURGE = {
  JOBS_ENABLED: 'true',
  JOB_PURGE_JOURNEY_DATA_CRON: PURGE_CRON,
  JOB_EXPIRE_TRANSACTIONS_CRON: '',
  JOB_EXPIRE_CONTEXTS_CRON: '',
  JOB_EXPIRE_SESSIONS_CRON: '',
  JOB_AUDIT_PARTITIONS_CRON: '',
  JOB_ROTATE_SIGNING_KEY_CRON: '',
};

/**
 * Every instance was down across 03:30: the daily purge's slot passed with nobody to run it. The next
 * start runs it, once, however many instances start together, and a later restart does not run it again.
 */
describe('jobs: a slot missed while no instance ran', () => {
  let database: TestDatabase;
  let db: DataSource;
  const apps: TestApp[] = [];
  const missed = previousSlot(PURGE_CRON, new Date())!;
  const dayBefore = new Date(missed.getTime() - 86_400_000);

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await openDataSource(database.url);
    // Yesterday's slot ran; then every instance stopped before today's.
    await newJobRun(db, { name: 'purge-journey-data', slot: dayBefore, instance: 'gone:1' });
    // A finished journey past the 90-day retention: what the missed purge should have removed.
    await newJourney(db, {
      cupid: 'CUPID-JOB',
      status: 'COMPLETED',
      createdAt: ago(100 * DAY),
      expiresAt: ago(99 * DAY),
      completedAt: ago(99 * DAY),
    });
  });

  afterAll(async () => {
    for (const app of apps) await app.app.close();
    await db?.destroy();
    await database?.drop();
  });

  const purgeRuns = () =>
    db.query(
      `SELECT details->>'slot' AS slot, details->>'instance' AS instance FROM audit_logs WHERE event_type = 'job.completed' AND actor_id = 'purge-journey-data'`,
    ) as Promise<Array<{ slot: string; instance: string }>>;

  it('two instances starting together run the missed daily slot exactly once', async () => {
    apps.push(
      ...(await Promise.all([
        startTestApp({ database, env: ONLY_PURGE }),
        startTestApp({ database, env: ONLY_PURGE }),
      ])),
    );
    await Promise.all(apps.map((app) => app.app.get(JobScheduler).catchUpDone));

    expect(await purgeRuns()).toEqual([{ slot: missed.toISOString(), instance: expect.any(String) }]);
    const [run] = await db.query(`SELECT last_slot, last_status FROM job_runs WHERE job_name = 'purge-journey-data'`);
    expect(run).toEqual({ last_slot: missed, last_status: 'SUCCESS' });
    expect(await db.query(`SELECT count(*)::int AS n FROM auth_contexts`)).toEqual([{ n: 0 }]);
  });

  it('a later restart finds the slot already run and runs nothing', async () => {
    const restarted = await startTestApp({ database, env: ONLY_PURGE });
    apps.push(restarted);
    await restarted.app.get(JobScheduler).catchUpDone;
    expect(await purgeRuns()).toHaveLength(1);
  });
});
