import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { MfaLockoutModule } from '../mfa/mfa-lockout.module';
import { PushPromptsModule } from '../mfa/push/push-prompts.module';
import { TokensModule } from '../tokens/tokens.module';
import { AuditPartitionsJob } from './audit-partitions.job';
import { ExpireContextsJob, ExpireSessionsJob, ExpireTransactionsJob, PurgeJourneyDataJob } from './expiry.jobs';
import { Job, JOBS } from './job';
import { JobRunner } from './job-runner';
import { JobScheduler } from './job-scheduler';
import { JobsRepository } from './jobs.repository';
import { RotateSigningKeyJob } from './rotate-signing-key.job';

const JOB_CLASSES = [
  ExpireTransactionsJob,
  ExpireContextsJob,
  ExpireSessionsJob,
  PurgeJourneyDataJob,
  AuditPartitionsJob,
  RotateSigningKeyJob,
];

@Module({
  imports: [ScheduleModule.forRoot(), TokensModule, PushPromptsModule, MfaLockoutModule],
  providers: [
    JobsRepository,
    ...JOB_CLASSES,
    { provide: JOBS, inject: JOB_CLASSES, useFactory: (...jobs: Job[]) => jobs },
    JobRunner,
    JobScheduler,
  ],
  exports: [JobRunner],
})
export class JobsModule {}
