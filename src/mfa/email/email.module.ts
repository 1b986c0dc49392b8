import { Module } from '@nestjs/common';
import { countingSends, Meters } from '../../common/meters';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { DirectoryModule } from '../../directory/directory.module';
import { KeysModule } from '../../keys/keys.module';
import { SmsModule } from '../sms/sms.module';
import { EmailRecordsModule } from './email-records.module';
import { EmailCustomerNotifier } from './email-notifier';
import { EmailFactorSource } from './email-factor.source';
import { EmailKeys } from './email-keys';
import { EmailOutboxController } from './email-outbox.controller';
import { EmailSender } from './email-sender.port';
import { EmailVerificationService } from './email-verification.service';
import { LogEmailSender } from './log.email-sender';
import { SmtpEmailSender } from './smtp.email-sender';

/**
 * Email (issue 17): the sender port and its adapters (EMAIL_PROVIDER: `smtp`, `log` for development, `none`),
 * the verified address per customer and its verification, the 'email' factor source and the customer notifier.
 */
@Module({
  imports: [SmsModule, DirectoryModule, EmailRecordsModule, KeysModule],
  controllers: [EmailOutboxController],
  providers: [
    {
      provide: EmailSender,
      inject: [APP_CONFIG, { token: Meters, optional: true }],
      useFactory: (config: AppConfig, meters?: Meters): EmailSender =>
        countingSends(
          'email',
          config.email.provider === 'smtp' ? new SmtpEmailSender(config.email) : new LogEmailSender(),
          meters,
        ),
    },
    EmailKeys,
    EmailVerificationService,
    EmailFactorSource,
    EmailCustomerNotifier,
  ],
  exports: [EmailSender, EmailRecordsModule, EmailVerificationService, EmailKeys],
})
export class EmailModule {}
