import { hostname } from 'node:os';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { APP_CONFIG } from '../config/config';
import type { AppConfig, JobName } from '../config/config';
import { MetricsService } from '../observability/metrics.service';
import { Job, JOBS } from './job';
import { JobRunsRepository } from './job-runs.repository';

export type JobOutcome =
  | { status: 'ran'; rows: number; durationMs: number }
  | { status: 'skipped'; reason: 'running elsewhere' | 'slot already run' }
  | { status: 'failed'; error: string };

export class UnknownJobError extends Error {}

/**
 * Runs a job at most once per scheduled slot across every instance: a session-level PostgreSQL advisory
 * lock keeps two instances from running it at the same time, and job_runs records the last slot run, so
 * an instance whose clock ticks a little later does not run the same slot again (both in JobRunsRepository).
 * Each run reports a log line, metrics and (for destructive jobs) an audit event.
 */
@Injectable()
export class JobRunner implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private readonly jobs: Map<JobName, Job>;
  private readonly instance = `${hostname()}:${process.pid}`;
  private readonly running = new Set<Promise<JobOutcome>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOBS) jobs: Job[],
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    private readonly clock: Clock,
    private readonly runs: JobRunsRepository,
  ) {
    this.jobs = new Map(jobs.map((job) => [job.name, job]));
    metrics.watchJobRuns(() => this.lastSuccessAges());
  }

  /** Job lag for /metrics: seconds since each enabled job last succeeded, in any instance (job_runs). */
  private async lastSuccessAges(): Promise<Array<{ job: string; ageSeconds: number }>> {
    const now = this.clock.now().getTime();
    return (await this.runs.list(this.dataSource.manager))
      .filter((row) => row.last_success_at && this.config.jobs.schedules[row.job_name as JobName])
      .map((row) => ({ job: row.job_name, ageSeconds: Math.max(0, (now - row.last_success_at!.getTime()) / 1000) }));
  }

  names(): JobName[] {
    return [...this.jobs.keys()];
  }

  /** A graceful shutdown lets a running job finish its batch loop before the pool closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  /** `slot`: the scheduled moment (minute) this run stands for. A manual run (no slot) only waits for the lock. */
  run(name: string, options: { slot?: Date; progress?: (rows: number) => void } = {}): Promise<JobOutcome> {
    const run = this.runOnce(name, options);
    this.running.add(run);
    void run.finally(() => this.running.delete(run)).catch(() => undefined);
    return run;
  }

  private async runOnce(
    name: string,
    options: { slot?: Date; progress?: (rows: number) => void },
  ): Promise<JobOutcome> {
    const job = this.jobs.get(name as JobName);
    if (!job) throw new UnknownJobError(`unknown job "${name}"; jobs: ${this.names().join(', ')}`);
    const lockKey = `ciam-job:${job.name}`;
    const connection = this.dataSource.createQueryRunner();
    await connection.connect();
    try {
      if (!(await this.runs.tryLock(connection.manager, lockKey))) return this.skipped(job, 'running elsewhere');
      try {
        const now = this.clock.now();
        const slot = options.slot ?? now;
        if (!(await this.claimSlot(job.name, slot, now, options.slot === undefined)))
          return this.skipped(job, 'slot already run');
        return await this.execute(job, slot, now, options.progress ?? (() => undefined));
      } finally {
        await this.runs.unlock(connection.manager, lockKey);
      }
    } finally {
      await connection.release();
    }
  }

  private async execute(job: Job, slot: Date, now: Date, progress: (rows: number) => void): Promise<JobOutcome> {
    const started = performance.now();
    const end = this.metrics.jobDuration.startTimer({ job: job.name });
    try {
      const rows = await job.run({ now, batchSize: this.config.jobs.batchSize, progress });
      const durationMs = Math.round(performance.now() - started);
      end();
      await this.dataSource.transaction(async (tx) => {
        await this.runs.recordSuccess(tx, job.name, this.clock.now(), rows);
        if (job.destructive) {
          await this.audit.record(tx, {
            type: AUDIT_EVENT_TYPES.JOB_COMPLETED,
            outcome: 'SUCCESS',
            actor: { type: 'SYSTEM', id: job.name },
            details: { job: job.name, rows, durationMs, slot: slot.toISOString(), instance: this.instance },
          });
        }
      });
      this.metrics.jobRuns.inc({ job: job.name, outcome: 'success' });
      this.metrics.jobRows.inc({ job: job.name }, rows);
      this.metrics.jobLastSuccess.set({ job: job.name }, Date.now() / 1000);
      this.logger.log(
        { job: job.name, rows, durationMs, slot: slot.toISOString() },
        `job ${job.name} touched ${rows} rows in ${durationMs} ms`,
      );
      return { status: 'ran', rows, durationMs };
    } catch (error) {
      end();
      const message = (error as Error).message.slice(0, 500);
      await this.runs.recordFailure(this.dataSource.manager, job.name, this.clock.now(), message);
      this.metrics.jobRuns.inc({ job: job.name, outcome: 'failure' });
      this.logger.error({ job: job.name, err: error }, `job ${job.name} failed`);
      return { status: 'failed', error: message };
    }
  }

  /** Records that this slot is being run; false when this or a later slot already ran (unless manual). */
  private claimSlot(name: JobName, slot: Date, now: Date, manual: boolean): Promise<boolean> {
    return this.runs.claimSlot(this.dataSource.manager, name, slot, now, this.instance, manual);
  }

  private skipped(job: Job, reason: 'running elsewhere' | 'slot already run'): JobOutcome {
    this.metrics.jobRuns.inc({ job: job.name, outcome: 'skipped' });
    this.logger.debug(`job ${job.name} skipped: ${reason}`);
    return { status: 'skipped', reason };
  }
}
