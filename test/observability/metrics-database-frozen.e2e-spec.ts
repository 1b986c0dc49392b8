import { JobRunner } from '../../src/jobs/job-runner';
import { startTestApp, TestApp } from '../support/app';
import { createTestDatabase, TestDatabase } from '../support/database';
import { scrapeMetrics } from '../support/metrics';
import { startTcpProxy, TcpProxy } from '../support/tcp-proxy';

/** Generous: the job-lag read gives up after 1 s; the scrape must never take as long as the freeze. */
const SCRAPE_BOUND_MS = 5_000;

/**
 * /metrics reads job_runs for the job lag: with PostgreSQL frozen (a paused TCP proxy) the scrape still answers,
 * quickly, with the last lag it knew and the pool metrics that say what is wrong.
 */
describe('/metrics with the database frozen', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let t: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    const target = new URL(database.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    t = await startTestApp({ database: { ...database, url: proxy.via(database.url) } });
  });

  afterAll(async () => {
    proxy?.resume();
    await t?.app.close();
    await proxy?.close();
    await database?.drop();
  });

  it('answers within the bound, keeping the last job lag it read', async () => {
    expect((await t.app.get(JobRunner).run('expire-contexts')).status).toBe('ran');
    const series = 'ciam_job_last_success_age_seconds{job="expire-contexts"}';
    expect((await scrapeMetrics(t)).samples.has(series)).toBe(true);

    proxy.pause();
    const started = Date.now();
    const frozen = await scrapeMetrics(t);
    expect(Date.now() - started).toBeLessThan(SCRAPE_BOUND_MS);
    expect(frozen.samples.has(series)).toBe(true);
    expect(frozen.samples.has('ciam_database_pool_connections{state="waiting"}')).toBe(true);
    proxy.resume();
  });
});
