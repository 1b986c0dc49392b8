import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { inBatches, Job, JobContext } from './job';
import { JobsRepository } from './jobs.repository';

/** Every 5 minutes: pending transactions past expiry become EXPIRED. */
@Injectable()
export class ExpireTransactionsJob extends Job {
  readonly name = 'expire-transactions' as const;
  readonly destructive = false;

  constructor(private readonly sql: JobsRepository) {
    super();
  }

  run(context: JobContext): Promise<number> {
    return inBatches(context, () => this.sql.expireTransactions(context.batchSize, context.now));
  }
}

/** Every 15 minutes: pending journeys past expiry become EXPIRED. */
@Injectable()
export class ExpireContextsJob extends Job {
  readonly name = 'expire-contexts' as const;
  readonly destructive = false;

  constructor(private readonly sql: JobsRepository) {
    super();
  }

  run(context: JobContext): Promise<number> {
    return inBatches(context, () => this.sql.expireContexts(context.batchSize, context.now));
  }
}

/** Hourly: sessions past their idle or absolute expiry end with their tokens; tokens past expiry end too. */
@Injectable()
export class ExpireSessionsJob extends Job {
  readonly name = 'expire-sessions' as const;
  readonly destructive = false;

  constructor(private readonly sql: JobsRepository) {
    super();
  }

  async run(context: JobContext): Promise<number> {
    const sessions = await inBatches(context, () => this.sql.expireSessions(context.batchSize, context.now));
    const tokens = await inBatches(context, () => this.sql.expireTokens(context.batchSize, context.now));
    return sessions + tokens;
  }
}

/** Daily: journey data (contexts, transactions, risk evaluations, SMS records), ended sessions and dead tokens past retention. */
@Injectable()
export class PurgeJourneyDataJob extends Job {
  readonly name = 'purge-journey-data' as const;
  readonly destructive = true;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sql: JobsRepository,
  ) {
    super();
  }

  async run(context: JobContext): Promise<number> {
    const { batchSize: batch, now } = context;
    const days = this.config.jobs.journeyRetentionDays;
    let total = 0;
    for (const step of [
      () => this.sql.deleteOldJourneys(batch, now, days),
      () => this.sql.deleteOldRows('drs_evaluations', batch, now, days),
      () => this.sql.deleteOldRows('sms_deliveries', batch, now, days),
      () => this.sql.deleteOldSessions(batch, now, days),
      () => this.sql.deleteOldSessionlessTokens(batch, now, days),
      () => this.sql.deleteExpiredCodes(batch, now),
      () => this.sql.deleteIdleLoginAttempts(batch, now),
    ]) {
      total += await inBatches({ ...context, progress: (rows) => context.progress(total + rows) }, step);
    }
    return total;
  }
}
