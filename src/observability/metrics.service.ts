import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

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

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  watchDatabasePool(stats: () => { total: number; idle: number; waiting: number }): void {
    this.poolStats = stats;
  }

  observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
    this.httpRequestDuration.observe({ method, route, status_code: String(statusCode) }, seconds);
  }
}
