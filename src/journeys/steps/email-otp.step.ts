import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { CustomerEmailsRepository } from '../../mfa/email/customer-emails.repository';
import { emailBudgetExhausted, emailNotSent } from '../../mfa/email/email-errors';
import { EmailKeys } from '../../mfa/email/email-keys';
import { EmailDeliveryError, EmailSender, maskEmail } from '../../mfa/email/email-sender.port';
import { renderEmail } from '../../mfa/email/email-templates';
import { MfaLockoutService } from '../../mfa/mfa-lockout.service';
import type { JourneyState } from '../policy';
import { MessageCodeChannel, MessageCodeStep } from './message-code.step';

/**
 * The email channel of a one-time code: the customer's verified address (customer_emails, confirmed under
 * /me/email), the EmailSender, and the per-address budget the verification codes already use
 * (EMAIL_RECIPIENT_LIMIT_*, email_deliveries with purpose `login`): one mailbox, one budget.
 */
class EmailChannel implements MessageCodeChannel {
  readonly factor = 'email' as const;
  /** RFC 8176 has no value for email: `otp` says what was proven (a one-time code), the audit says by which channel. */
  readonly amr = ['otp'];
  readonly maskedKey = 'maskedEmail';
  readonly budgetReason = 'budget';
  readonly rejectDetails = { factor: 'email' };
  readonly events = { sent: AUDIT_EVENT_TYPES.EMAIL_CODE_SENT, sendFailed: AUDIT_EVENT_TYPES.EMAIL_CODE_SEND_FAILED };

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly emails: CustomerEmailsRepository,
    private readonly keys: EmailKeys,
    private readonly sender: EmailSender,
  ) {}

  get provider(): string {
    return this.sender.name;
  }

  codeKey(): Buffer {
    return this.keys.codeKey;
  }

  /** No address when this service sends no email (EMAIL_PROVIDER=none): the factor is not offered then. */
  async recipient(state: JourneyState, manager?: EntityManager): Promise<string | null> {
    const cupid = state.context.cupid;
    if (!cupid || this.config.email.provider === 'none') return null;
    return (await this.emails.find(manager ?? this.dataSource.manager, cupid))?.address ?? null;
  }

  mask(address: string): string {
    return maskEmail(address);
  }

  async reserve(
    manager: EntityManager,
    send: { contextId: string; cupid: string; recipient: string; at: Date },
  ): Promise<{ reservationId: string } | { retryAfterSeconds: number }> {
    const recipientHash = this.keys.recipientHash(send.recipient);
    await this.emails.lockRecipient(manager, recipientHash);
    const counts = await this.emails.recipientCounts(manager, recipientHash, send.at);
    const over15m = counts.r15 >= this.config.email.perRecipient15m;
    if (over15m || counts.r24 >= this.config.email.perRecipient24h)
      return { retryAfterSeconds: over15m ? 15 * 60 : 24 * 3600 };
    const reservationId = await this.emails.reserveDelivery(manager, {
      cupid: send.cupid,
      recipientHash,
      purpose: 'login',
      at: send.at,
    });
    return { reservationId };
  }

  /** email_deliveries keeps no provider message id: the reservation is the record. */
  async confirm(): Promise<void> {}

  cancel(manager: EntityManager, reservationId: string): Promise<void> {
    return this.emails.cancelDelivery(manager, reservationId);
  }

  send(to: string, code: string, reference: string): Promise<{ providerMessageId: string | null }> {
    const message = renderEmail(this.config.email.language, 'login_code', {
      brand: this.config.loginUi.brandName,
      code,
      minutes: String(Math.round(this.config.otp.ttlSeconds / 60)),
    });
    return this.sender.send({ to, ...message, reference: `login-${reference}` });
  }

  isDeliveryError(error: unknown): boolean {
    return error instanceof EmailDeliveryError;
  }

  sendDetails(extra: Record<string, unknown>): Record<string, unknown> {
    return { purpose: 'login', provider: this.sender.name, ...extra };
  }

  budgetExhausted(retryAfterSeconds: number) {
    return emailBudgetExhausted(retryAfterSeconds);
  }

  notSent() {
    return emailNotSent();
  }

  /** The address proved it is in use (shown under /me/factors as its last use). */
  verified(manager: EntityManager, cupid: string, at: Date): Promise<void> {
    return this.emails.markUsed(manager, cupid, at);
  }
}

/**
 * Second factor by a one-time code mailed to the customer's verified address (issue 17), on the same rules as
 * the SMS code (MessageCodeStep: hashed, TTL, attempts, resend limit and cool-down, per-recipient budget).
 * Offered when the customer has a verified address. amr: `otp` only (RFC 8176 defines no email method).
 */
@Injectable()
export class EmailOtpStep extends MessageCodeStep {
  readonly kind = 'EMAIL_OTP' as const;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    dataSource: DataSource,
    emails: CustomerEmailsRepository,
    keys: EmailKeys,
    sender: EmailSender,
    audit: AuditService,
    clock: Clock,
    mfaLockout: MfaLockoutService,
  ) {
    super(new EmailChannel(config, dataSource, emails, keys, sender), config, audit, clock, mfaLockout);
  }

  /** No email leaves this service with EMAIL_PROVIDER=none: not offered then, not even in a forgot-password journey. */
  override offeredByService(): boolean {
    return this.config.email.provider !== 'none';
  }
}
