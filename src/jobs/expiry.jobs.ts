import { PasskeysRepository } from '../mfa/passkeys/passkeys.repository';
import { FactorResetsRepository } from '../agents/factor-resets.repository';
import { CustomerEmailsRepository } from '../mfa/email/customer-emails.repository';
import { ApiTokensRepository } from '../tokens/api-tokens.repository';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { AuthContextsRepository } from '../journeys/auth-contexts.repository';
import { AuthTransactionsRepository } from '../journeys/auth-transactions.repository';
import { LoginAttemptsRepository } from '../journeys/lockout/login-attempts.repository';
import { MfaLockoutRepository } from '../mfa/mfa-lockout.repository';
import { PushChallengesRepository } from '../mfa/push/push-challenges.repository';
import { PushPromptsRepository } from '../mfa/push/push-prompts.repository';
import { SmsDeliveriesRepository } from '../mfa/sms/sms-deliveries.repository';
import { DrsEvaluationsRepository } from '../risk/drs-evaluations.repository';
import { SessionsRepository } from '../sessions/sessions.repository';
import { AuthorizationCodesRepository } from '../tokens/authorization-codes.repository';
import { TokensRepository } from '../tokens/tokens.repository';
import { inBatches, Job, JobContext } from './job';

/*
 * The jobs own no table: each batch is a method of the table's owning repository (rule 2, docs/architecture.md
 * "Tables and their owners"), called here on the pool outside any transaction, one bounded statement at a time.
 */

/** Every 5 minutes: pending transactions past expiry become EXPIRED. */
@Injectable()
export class ExpireTransactionsJob extends Job {
  readonly name = 'expire-transactions' as const;
  readonly destructive = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: AuthTransactionsRepository,
  ) {
    super();
  }

  run(context: JobContext): Promise<number> {
    const manager = this.dataSource.manager;
    return inBatches(context, () => this.transactions.expireBatch(manager, context.batchSize, context.now));
  }
}

/** Every 15 minutes: pending journeys past expiry become EXPIRED. */
@Injectable()
export class ExpireContextsJob extends Job {
  readonly name = 'expire-contexts' as const;
  readonly destructive = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly contexts: AuthContextsRepository,
  ) {
    super();
  }

  run(context: JobContext): Promise<number> {
    const manager = this.dataSource.manager;
    return inBatches(context, () => this.contexts.expireBatch(manager, context.batchSize, context.now));
  }
}

/** Hourly: sessions past their idle or absolute expiry end with their tokens; tokens past expiry end too. */
@Injectable()
export class ExpireSessionsJob extends Job {
  readonly name = 'expire-sessions' as const;
  readonly destructive = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly sessions: SessionsRepository,
    private readonly tokens: TokensRepository,
  ) {
    super();
  }

  async run(context: JobContext): Promise<number> {
    const { batchSize: batch, now } = context;
    const manager = this.dataSource.manager;
    const sessions = await inBatches(context, () => this.sessions.expireBatch(manager, batch, now));
    const tokens = await inBatches(context, () => this.tokens.expireBatch(manager, batch, now));
    return sessions + tokens;
  }
}

/**
 * Daily: journey data (contexts, transactions, risk evaluations, SMS and email records, push prompts and
 * challenges, wrong MFA codes), ended sessions, dead tokens, dead API tokens and finished factor resets past retention, each through its owning repository; wrong
 * codes stay at least as long as MFA_CODE_FAILURE_WINDOW_SECONDS, so a purge never lowers a customer's count
 * within the window.
 */
@Injectable()
export class PurgeJourneyDataJob extends Job {
  readonly name = 'purge-journey-data' as const;
  readonly destructive = true;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly contexts: AuthContextsRepository,
    private readonly evaluations: DrsEvaluationsRepository,
    private readonly smsDeliveries: SmsDeliveriesRepository,
    private readonly pushPrompts: PushPromptsRepository,
    private readonly pushChallenges: PushChallengesRepository,
    private readonly mfaFailures: MfaLockoutRepository,
    private readonly sessions: SessionsRepository,
    private readonly tokens: TokensRepository,
    private readonly codes: AuthorizationCodesRepository,
    private readonly loginAttempts: LoginAttemptsRepository,
    private readonly passkeys: PasskeysRepository,
    private readonly emails: CustomerEmailsRepository,
    private readonly factorResets: FactorResetsRepository,
    private readonly apiTokens: ApiTokensRepository,
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
    // Parents before children: a journey's transactions and evaluations, and a session's tokens and codes, go
    // with it by cascade, so the later batches find less to do.
    for (const step of [
      () => this.contexts.deleteFinishedBatch(manager, batch, now, days),
      () => this.evaluations.deleteOldBatch(manager, batch, now, days),
      () => this.smsDeliveries.deleteOldBatch(manager, batch, now, days),
      () => this.pushPrompts.deleteSentBefore(manager, retentionStart, batch),
      () => this.pushChallenges.deleteCreatedBefore(manager, retentionStart, batch),
      () => this.mfaFailures.deleteFailuresBefore(manager, failuresStart, batch),
      () => this.sessions.deleteEndedBatch(manager, batch, now, days),
      () => this.tokens.deleteDeadSessionlessBatch(manager, batch, now, days),
      () => this.codes.deleteExpiredBatch(manager, batch, now),
      () => this.loginAttempts.deleteIdleBatch(manager, batch, now),
      // Registration challenges are minutes long; an expired one is useless (spent or not).
      () => this.passkeys.deleteExpiredRegistrations(manager, now, batch),
      // Email codes spent or expired and the send records; agents' factor resets applied or lapsed; API tokens
      // revoked or expired: none of them can be used any more, and their events stay in the audit trail.
      () => this.emails.deleteOldBatch(manager, batch, retentionStart),
      () => this.factorResets.deleteFinishedBatch(manager, batch, retentionStart),
      () => this.apiTokens.deleteDeadBatch(manager, batch, retentionStart),
    ]) {
      total += await inBatches({ ...context, progress: (rows) => context.progress(total + rows) }, step);
    }
    return total;
  }
}
