import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { CustomerNotice, CustomerNotifier, CustomerNotifierDelegate } from '../../common/customer-notifier';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { UserDirectory } from '../../directory/user-directory.port';
import { SmsSender } from '../sms/sms-sender.port';
import { CustomerEmailsRepository } from './customer-emails.repository';
import { EmailSender } from './email-sender.port';
import { renderEmail } from './email-templates';

/**
 * The CustomerNotifier's delegate (issue 17, item 5): a notice goes by email to the customer's verified
 * address, else by SMS to the directory's phone (the subject line of the same template); with neither, it is
 * only audited as not sent. The notice names what changed, never a code, a link or a full address. A notice is
 * sent after its change committed and never undoes it (CustomerNotifier swallows failures).
 */
@Injectable()
export class EmailCustomerNotifier implements CustomerNotifierDelegate, OnModuleInit {
  private readonly logger = new Logger(EmailCustomerNotifier.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly emails: CustomerEmailsRepository,
    private readonly email: EmailSender,
    private readonly sms: SmsSender,
    private readonly directory: UserDirectory,
    private readonly audit: AuditService,
    private readonly notifier: CustomerNotifier,
  ) {}

  onModuleInit(): void {
    this.notifier.setDelegate(this);
  }

  async notify(cupid: string, notice: CustomerNotice, details: Record<string, string>): Promise<void> {
    const message = renderEmail(this.config.email.language, notice, {
      ...details,
      brand: this.config.loginUi.brandName,
    });
    const reference = `notice-${randomUUID()}`;
    // A newly confirmed address is not "another channel" for its own notice (whoever added it reads it): that
    // notice goes to the phone first, so a customer learns of an address someone else added.
    const smsFirst = notice === 'email.verified';
    const verified =
      this.config.email.provider === 'none' ? null : await this.emails.find(this.dataSource.manager, cupid);
    const phone = smsFirst || !verified ? (await this.directory.findByCupid(cupid))?.phoneNumber : null;
    let channel: 'email' | 'sms' | null = null;
    if (phone) {
      await this.sms.send({ to: phone, text: message.subject, reference });
      channel = 'sms';
    } else if (verified) {
      await this.email.send({ to: verified.address, ...message, reference });
      channel = 'email';
    }
    if (!channel) this.logger.warn({ notice }, 'customer notice not sent: no verified email and no phone');
    await this.audit.record(this.dataSource.manager, {
      type: AUDIT_EVENT_TYPES.CUSTOMER_NOTIFIED,
      outcome: channel ? 'SUCCESS' : 'FAILURE',
      actor: { type: 'SYSTEM', id: 'notifier' },
      cupid,
      details: { notice, channel: channel ?? 'none' },
    });
  }
}
