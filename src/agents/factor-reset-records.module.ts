import { Module } from '@nestjs/common';
import { FactorResetsRepository } from './factor-resets.repository';

/** The factor_resets repository on its own, for the jobs (purge) without the agent API. */
@Module({ providers: [FactorResetsRepository], exports: [FactorResetsRepository] })
export class FactorResetRecordsModule {}
