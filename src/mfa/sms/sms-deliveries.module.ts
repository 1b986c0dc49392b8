import { Module } from '@nestjs/common';
import { SmsDeliveriesRepository } from './sms-deliveries.repository';

/** The owner of sms_deliveries on its own, so the SMS step and the data lifecycle share it without loading a sender. */
@Module({ providers: [SmsDeliveriesRepository], exports: [SmsDeliveriesRepository] })
export class SmsDeliveriesModule {}
