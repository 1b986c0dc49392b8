import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { MfaLockoutRepository } from '../mfa/mfa-lockout.repository';
import { PushChallengesRepository } from '../mfa/push/push-challenges.repository';
import { PushPromptsRepository } from '../mfa/push/push-prompts.repository';
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

/**
 * Daily: journey data (contexts, transactions, risk evaluations, SMS records, push prompts and challenges,
 * wrong MFA codes), ended sessions and dead tokens past retention. Push data and wrong codes go through their owning
 * repositories; wrong codes stay at least as long as MFA_CODE_FAILURE_WINDOW_SECONDS, so a purge never
 * lowers a customer's count within the window.
 */
@Injectable()
export class PurgeJourneyDataJob extends Job {
  readonly name = 'purge-journey-data' as const;
  readonly destructive = true;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sql: JobsRepository,
    private readonly dataSource: DataSource,
    private readonly pushPrompts: PushPromptsRepository,
    private readonly pushChallenges: PushChallengesRepository,
    private readonly mfaFailures: MfaLockoutRepository,
  ) {
    super();
  }

  async run(context: JobContext): Promise<number> {
    const { batchSize: batch, now } = context;
    const days = this.config.jobs.journeyRetentionDays;
    const day = 86_400_000;
    const retentionStart = new Date(now.getTime() - days * day);
    const failuresStart = new Date(
      now.getTime() - Math.max(days * day, this.config.otp.customerFailureWindowSeconds * 1000),
    );
    const manager = this.dataSource.manager;
    let total = 0;
    for (const step of [
      () => this.sql.deleteOldJourneys(batch, now, days),
      () => this.sql.deleteOldRows('drs_evaluations', batch, now, days),
      () => this.sql.deleteOldRows('sms_deliveries', batch, now, days),
      () => this.pushPrompts.deleteSentBefore(manager, retentionStart, batch),
      () => this.pushChallenges.deleteCreatedBefore(manager, retentionStart, batch),
      () => this.mfaFailures.deleteFailuresBefore(manager, failuresStart, batch),
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
