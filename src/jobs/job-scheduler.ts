import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { Clock } from '../common/clock';
import { APP_CONFIG } from '../config/config';
import type { AppConfig, JobName } from '../config/config';
import { JobOutcome, JobRunner } from './job-runner';
import { previousSlot } from './previous-slot';

/**
 * Registers each job's cron schedule (JOB_<NAME>_CRON) when JOBS_ENABLED; every instance may, each
 * slot runs once. At start-up it also catches up: the latest slot of each job that passed while no
 * instance was running (a deploy across 03:30, an outage across the first of the month) runs once now,
 * instead of waiting a day or a month for the next one.
 */
@Injectable()
export class JobScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobScheduler.name);
  /** Settles when the start-up catch-up has finished (tests and shutdown wait for it). */
  catchUpDone: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: SchedulerRegistry,
    private readonly runner: JobRunner,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.jobs.enabled) return;
    for (const name of this.scheduled()) {
      const cron = CronJob.from({
        cronTime: this.config.jobs.schedules[name],
        timeZone: 'UTC',
        onTick: () => {
          // The slot is the scheduled minute, the same on every instance whose clock ticks in it.
          const slot = new Date(Math.floor(Date.now() / 60_000) * 60_000);
          void this.runner
            .run(name, { slot })
            .catch((error: unknown) => this.logger.error({ err: error }, `job ${name} could not start`));
        },
      });
      this.registry.addCronJob(name, cron);
      cron.start();
    }
    this.logger.log(
      `scheduled jobs: ${this.scheduled()
        .map((name) => `${name} (${this.config.jobs.schedules[name]})`)
        .join(', ')}`,
    );
    // Not awaited: start-up does not wait for a purge; the runner's lock and job_runs keep it single.
    this.catchUpDone = this.catchUp().then(
      () => undefined,
      (error: unknown) => this.logger.error({ err: error }, 'job catch-up could not run'),
    );
  }

  /** A shutdown lets the catch-up finish the job it is running and start no other. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.catchUpDone;
  }

  /**
   * Runs the latest due slot of each scheduled job, one job after the other. A slot that an instance
   * already ran (job_runs.last_slot) is skipped by the runner, so every instance may call this at
   * start-up and each missed slot still runs exactly once.
   */
  async catchUp(): Promise<Array<{ job: JobName; slot: Date; outcome: JobOutcome }>> {
    const results: Array<{ job: JobName; slot: Date; outcome: JobOutcome }> = [];
    for (const name of this.scheduled()) {
      if (this.stopping) break;
      const slot = previousSlot(this.config.jobs.schedules[name], this.clock.now());
      if (!slot) continue;
      const outcome = await this.runner.run(name, { slot });
      if (outcome.status !== 'skipped')
        this.logger.log(
          { job: name, slot: slot.toISOString(), status: outcome.status },
          `caught up the ${slot.toISOString()} slot of ${name}`,
        );
      results.push({ job: name, slot, outcome });
    }
    return results;
  }

  private scheduled(): JobName[] {
    return this.runner.names().filter((name) => this.config.jobs.schedules[name]);
  }
}
