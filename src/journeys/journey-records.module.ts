import { Module } from '@nestjs/common';
import { AuthContextsRepository } from './auth-contexts.repository';
import { AuthTransactionsRepository } from './auth-transactions.repository';

/**
 * The owners of auth_contexts and auth_transactions on their own, so the data lifecycle (src/jobs) can expire
 * and purge journeys without loading the journey engine, its steps and their adapters.
 */
@Module({
  providers: [AuthContextsRepository, AuthTransactionsRepository],
  exports: [AuthContextsRepository, AuthTransactionsRepository],
})
export class JourneyRecordsModule {}
