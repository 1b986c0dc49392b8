import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DomainMetrics } from './domain-metrics';

/** A scrape matters most when the database is sick: a read at scrape time waits this long at most. */
const SCRAPE_READ_TIMEOUT_MS = 1000;

/**
 * `read` raced against the scrape's bound: a gauge read from the database at scrape time must not hold the
 * scrape (nor /metrics) while the database or the pool does not answer; the caller keeps its last values.
 */
export async function withinScrapeBound<T>(read: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within 1 s`)), SCRAPE_READ_TIMEOUT_MS);
  });
  try {
    return await Promise.race([read, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The Prometheus registry of this process. One registry per app instance (not prom-client's global),
 * so several apps in one process (tests) never clash.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly jobRuns = new Counter({
    name: 'ciam_job_runs_total',
    help: 'Scheduled job runs by outcome (success, failure, skipped)',
    labelNames: ['job', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly jobRows = new Counter({
    name: 'ciam_job_rows_total',
    help: 'Rows a job expired, deleted or created',
    labelNames: ['job'] as const,
    registers: [this.registry],
  });

  readonly jobDuration = new Histogram({
    name: 'ciam_job_duration_seconds',
    help: 'Duration of job runs',
    labelNames: ['job'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900],
    registers: [this.registry],
  });

  readonly jobLastSuccess = new Gauge({
    name: 'ciam_job_last_success_timestamp_seconds',
    help: 'When the job last succeeded in this instance (job_runs has the cluster view)',
    labelNames: ['job'] as const,
    registers: [this.registry],
  });

  /** Read at scrape time from the pg pool (watchDatabasePool): `waiting` above 0 for long means the pool is starved. */
  private poolStats?: () => { total: number; idle: number; waiting: number };

  readonly databasePool = new Gauge({
    name: 'ciam_database_pool_connections',
    help: 'Database pool of this instance: total and idle connections, and requests waiting for one',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: () => {
      const stats = this.poolStats?.();
      if (!stats) return;
      for (const state of ['total', 'idle', 'waiting'] as const) this.databasePool.set({ state }, stats[state]);
    },
  });

  /** Reads, at scrape time, when each scheduled job last succeeded in any instance (watchJobRuns). */
  private jobRunsReader?: () => Promise<Array<{ job: string; ageSeconds: number }>>;

  readonly jobLastSuccessAge = new Gauge({
    name: 'ciam_job_last_success_age_seconds',
    help: 'Seconds since each enabled job last succeeded in any instance (job_runs); absent until it first has',
    labelNames: ['job'] as const,
    registers: [this.registry],
    collect: async () => {
      if (!this.jobRunsReader) return;
      try {
        const ages = await withinScrapeBound(this.jobRunsReader(), 'job_runs');
        this.jobLastSuccessAge.reset();
        for (const { job, ageSeconds } of ages) this.jobLastSuccessAge.set({ job }, ageSeconds);
      } catch {
        // The database does not answer: the last ages stay (the scrape must not fail; the pool metrics say why).
      }
    },
  });

  readonly databasePoolAcquire = new Histogram({
    name: 'ciam_database_pool_acquire_seconds',
    help: 'Time to get a pooled connection (an idle one, or a new one opened), by outcome (ok, error)',
    labelNames: ['outcome'] as const,
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 3, 5],
    registers: [this.registry],
  });

  /** Journeys, factors, lockouts, sends and dependency latency (src/common/meters.ts is their port). */
  readonly domain = new DomainMetrics(this.registry);

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  watchJobRuns(reader: () => Promise<Array<{ job: string; ageSeconds: number }>>): void {
    this.jobRunsReader = reader;
  }

  /**
   * Times every acquire of the pg pool (pg's own query() and TypeORM's query runners both go through
   * `connect(callback)`): one clock read and one bound child per acquire.
   */
  timePoolAcquires(pool: PgPoolConnect): void {
    const ok = this.databasePoolAcquire.labels('ok');
    const failed = this.databasePoolAcquire.labels('error');
    const connect = pool.connect.bind(pool);
    pool.connect = ((callback?: (error: Error | undefined, ...rest: unknown[]) => void) => {
      const started = performance.now();
      const observe = (error: unknown) => (error ? failed : ok).observe((performance.now() - started) / 1000);
      if (callback)
        return connect((error: Error | undefined, ...rest: unknown[]) => {
          observe(error);
          callback(error, ...rest);
        });
      return (connect() as Promise<unknown>).then(
        (client) => {
          observe(undefined);
          return client;
        },
        (error: unknown) => {
          observe(error ?? true);
          throw error;
        },
      );
    }) as PgPoolConnect['connect'];
  }

  watchDatabasePool(stats: () => { total: number; idle: number; waiting: number }): void {
    this.poolStats = stats;
  }

  observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
    this.httpRequestDuration.observe({ method, route, status_code: String(statusCode) }, seconds);
  }
}

/** The part of pg's Pool that timePoolAcquires wraps. */
export interface PgPoolConnect {
  connect(callback?: (error: Error | undefined, ...rest: unknown[]) => void): Promise<unknown> | void;
}
