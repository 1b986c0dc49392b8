import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { JourneyRecordsModule } from '../journeys/journey-records.module';
import { LockoutModule } from '../journeys/lockout/lockout.module';
import { MfaLockoutModule } from '../mfa/mfa-lockout.module';
import { PushPromptsModule } from '../mfa/push/push-prompts.module';
import { PasskeyRecordsModule } from '../mfa/passkeys/passkey-records.module';
import { SmsDeliveriesModule } from '../mfa/sms/sms-deliveries.module';
import { DrsEvaluationsModule } from '../risk/drs-evaluations.module';
import { SessionsModule } from '../sessions/sessions.module';
import { TokensModule } from '../tokens/tokens.module';
import { AuditPartitionsJob } from './audit-partitions.job';
import { ExpireContextsJob, ExpireSessionsJob, ExpireTransactionsJob, PurgeJourneyDataJob } from './expiry.jobs';
import { Job, JOBS } from './job';
import { JobRunner } from './job-runner';
import { JobScheduler } from './job-scheduler';
import { JobRunsRepository } from './job-runs.repository';
import { RotateSigningKeyJob } from './rotate-signing-key.job';

const JOB_CLASSES = [
  ExpireTransactionsJob,
  ExpireContextsJob,
  ExpireSessionsJob,
  PurgeJourneyDataJob,
  AuditPartitionsJob,
  RotateSigningKeyJob,
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
    MfaLockoutModule,
    SessionsModule,
    TokensModule,
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
