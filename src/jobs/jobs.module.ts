import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { JourneyRecordsModule } from '../journeys/journey-records.module';
import { LockoutModule } from '../journeys/lockout/lockout.module';
import { MfaLockoutModule } from '../mfa/mfa-lockout.module';
import { PushPromptsModule } from '../mfa/push/push-prompts.module';
import { PasskeyRecordsModule } from '../mfa/passkeys/passkey-records.module';
import { EmailRecordsModule } from '../mfa/email/email-records.module';
import { FactorResetRecordsModule } from '../agents/factor-reset-records.module';
import { SmsDeliveriesModule } from '../mfa/sms/sms-deliveries.module';
import { DrsEvaluationsModule } from '../risk/drs-evaluations.module';
import { SessionsModule } from '../sessions/sessions.module';
import { TokensModule } from '../tokens/tokens.module';
import { AuditChainModule } from '../audit-chain/audit-chain.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { AuditChainJob, AuditCheckpointJob } from './audit-chain.jobs';
import { AuditPartitionsJob } from './audit-partitions.job';
import { ExpireContextsJob, ExpireSessionsJob, ExpireTransactionsJob, PurgeJourneyDataJob } from './expiry.jobs';
import { Job, JOBS } from './job';
import { JobRunner } from './job-runner';
import { JobScheduler } from './job-scheduler';
import { JobRunsRepository } from './job-runs.repository';
import { PurgeOutboxJob } from './purge-outbox.job';
import { PurgeUsedJtisJob } from './purge-used-jtis.job';
import { RotateSigningKeyJob } from './rotate-signing-key.job';

const JOB_CLASSES = [
  ExpireTransactionsJob,
  ExpireContextsJob,
  ExpireSessionsJob,
  PurgeJourneyDataJob,
  AuditPartitionsJob,
  RotateSigningKeyJob,
  AuditChainJob,
  AuditCheckpointJob,
  PurgeOutboxJob,
  PurgeUsedJtisJob,
];

/**
 * The data lifecycle owns only job_runs: every other table is expired and purged through its owning module's
 * repository, imported here on its own (never the journey engine or a vendor adapter, so the CLI stays light).
 */
@Module({
  imports: [
    ScheduleModule.forRoot(),
    JourneyRecordsModule,
    LockoutModule,
    DrsEvaluationsModule,
    SmsDeliveriesModule,
    PushPromptsModule,
    PasskeyRecordsModule,
    EmailRecordsModule,
    FactorResetRecordsModule,
    MfaLockoutModule,
    SessionsModule,
    TokensModule,
    AuditChainModule,
    // Whoever chains audit rows (the audit-chain and audit-partitions jobs, in the service or the CLI) must fan
    // them out to the webhook subscriptions in the same transaction: the listener comes with this module.
    WebhooksModule,
  ],
  providers: [
    JobRunsRepository,
    ...JOB_CLASSES,
    { provide: JOBS, inject: JOB_CLASSES, useFactory: (...jobs: Job[]) => jobs },
    JobRunner,
    JobScheduler,
  ],
  exports: [JobRunner, JobRunsRepository],
})
export class JobsModule {}
