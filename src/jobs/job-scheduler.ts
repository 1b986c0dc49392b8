import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { JobRunner } from './job-runner';

/** Registers each job's cron schedule (JOB_<NAME>_CRON) when JOBS_ENABLED; every instance may, each slot runs once. */
@Injectable()
export class JobScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(JobScheduler.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: SchedulerRegistry,
    private readonly runner: JobRunner,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.jobs.enabled) return;
    for (const name of this.runner.names()) {
      const expression = this.config.jobs.schedules[name];
      if (!expression) continue;
      const cron = CronJob.from({
        cronTime: expression,
        timeZone: 'UTC',
        onTick: () => {
          // The slot is the scheduled minute, the same on every instance whose clock ticks in it.
          const slot = new Date(Math.floor(Date.now() / 60_000) * 60_000);
          void this.runner.run(name, { slot }).catch((error: unknown) => this.logger.error({ err: error }, `job ${name} could not start`));
        },
      });
      this.registry.addCronJob(name, cron);
      cron.start();
    }
    this.logger.log(`scheduled jobs: ${this.runner.names().filter((name) => this.config.jobs.schedules[name]).map((name) => `${name} (${this.config.jobs.schedules[name]})`).join(', ')}`);
  }
}
