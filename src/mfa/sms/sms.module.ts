import { Module } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { HttpSmsSender } from './http.sms-sender';
import { LogSmsSender } from './log.sms-sender';
import { SmsSender } from './sms-sender.port';
import { SmsOutboxController } from './sms-outbox.controller';
import { TwilioSmsSender } from './twilio.sms-sender';

/** SMS_PROVIDER picks the adapter: `log` (development), `http` or `twilio`. */
@Module({
  controllers: [SmsOutboxController],
  providers: [
    {
      provide: SmsSender,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): SmsSender => {
        if (config.sms.provider === 'http') return new HttpSmsSender(config.sms);
        if (config.sms.provider === 'twilio') return new TwilioSmsSender(config.sms);
        return new LogSmsSender();
      },
    },
  ],
  exports: [SmsSender],
})
export class SmsModule {}
