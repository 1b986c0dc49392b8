import { Module } from '@nestjs/common';
import { countingSends, Meters } from '../../common/meters';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { DirectoryModule } from '../../directory/directory.module';
import { HttpSmsSender } from './http.sms-sender';
import { LogSmsSender } from './log.sms-sender';
import { SmsSender } from './sms-sender.port';
import { SmsFactorSource } from './sms-factor-source';
import { SmsOutboxController } from './sms-outbox.controller';
import { TwilioSmsSender } from './twilio.sms-sender';

/** SMS_PROVIDER picks the adapter: `log` (development), `http` or `twilio`. */
@Module({
  imports: [DirectoryModule],
  controllers: [SmsOutboxController],
  providers: [
    SmsFactorSource,
    {
      provide: SmsSender,
      inject: [APP_CONFIG, { token: Meters, optional: true }],
      useFactory: (config: AppConfig, meters?: Meters): SmsSender =>
        countingSends('sms', smsSender(config, meters), meters),
    },
  ],
  exports: [SmsSender],
})
export class SmsModule {}

function smsSender(config: AppConfig, meters: Meters | undefined): SmsSender {
  if (config.sms.provider === 'http') return new HttpSmsSender(config.sms, meters);
  if (config.sms.provider === 'twilio') return new TwilioSmsSender(config.sms, meters);
  return new LogSmsSender();
}
