import { Module } from '@nestjs/common';
import { CustomerEmailsRepository } from './customer-emails.repository';

/** The email tables' repository on its own, for the jobs (purge) without the sender and its adapters. */
@Module({ providers: [CustomerEmailsRepository], exports: [CustomerEmailsRepository] })
export class EmailRecordsModule {}
