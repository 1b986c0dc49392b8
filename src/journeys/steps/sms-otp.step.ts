import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { hmacSha256 } from '../../common/crypto';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { DirectoryUnavailableError, DirectoryUser, maskPhone } from '../../directory/user-directory.port';
import { smsBudgetExhausted, smsNotSent } from '../../mfa/mfa-errors';
import { MfaLockoutService } from '../../mfa/mfa-lockout.service';
import { SmsDeliveriesRepository } from '../../mfa/sms/sms-deliveries.repository';
import { SmsDeliveryError, SmsSender } from '../../mfa/sms/sms-sender.port';
import { KEY_ENCRYPTION_KEY } from '../../keys/key-encryption-key';
import type { KeyEncryptionKey } from '../../keys/key-encryption-key';
import type { JourneyState } from '../policy';
import { MessageCodeChannel, MessageCodeStep } from './message-code.step';

/**
 * The SMS channel of a one-time code: the phone the directory holds, the SMS provider, and the budget per
 * phone number and per customer (SMS_RECIPIENT_LIMIT_*) in sms_deliveries, against SMS pumping.
 */
class SmsChannel implements MessageCodeChannel {
  readonly factor = 'sms' as const;
  readonly amr = ['otp', 'sms'];
  readonly maskedKey = 'maskedPhone';
  readonly budgetReason = 'budget_exhausted';
  readonly rejectDetails = {};
  readonly events = { sent: AUDIT_EVENT_TYPES.SMS_OTP_SENT, sendFailed: AUDIT_EVENT_TYPES.SMS_OTP_SEND_FAILED };
  private readonly otpKey: Buffer;
  private readonly recipientKey: Buffer;

  constructor(
    private readonly config: AppConfig,
    kek: KeyEncryptionKey,
    private readonly sms: SmsSender,
    private readonly deliveries: SmsDeliveriesRepository,
  ) {
    this.otpKey = hmacSha256(kek.key, 'ciam:otp-hmac:v1');
    this.recipientKey = hmacSha256(kek.key, 'ciam:sms-recipient:v1');
  }

  get provider(): string {
    return this.sms.name;
  }

  codeKey(): Buffer {
    return this.otpKey;
  }

  async recipient(state: JourneyState): Promise<string | null> {
    return (await customer(state))?.phoneNumber ?? null;
  }

  mask(phone: string): string | null {
    return maskPhone(phone);
  }

  async reserve(
    manager: EntityManager,
    send: { contextId: string; cupid: string; recipient: string; at: Date },
  ): Promise<{ reservationId: string } | { retryAfterSeconds: number }> {
    const recipientHash = hmacSha256(this.recipientKey, send.recipient.replace(/[^\d+]/g, ''));
    await this.deliveries.lockRecipient(manager, recipientHash);
    const counts = await this.deliveries.counts(manager, recipientHash, send.cupid, send.at);
    const { perRecipient15m, perRecipient24h } = this.config.otp;
    const over15m = Math.max(counts.recipient15m, counts.cupid15m) >= perRecipient15m;
    if (over15m || Math.max(counts.recipient24h, counts.cupid24h) >= perRecipient24h)
      return { retryAfterSeconds: over15m ? 15 * 60 : 24 * 3600 };
    const reservationId = await this.deliveries.reserve(manager, {
      contextId: send.contextId,
      cupid: send.cupid,
      recipientHash,
      provider: this.sms.name,
      at: send.at,
    });
    return { reservationId };
  }

  confirm(manager: EntityManager, reservationId: string, providerMessageId: string | null): Promise<void> {
    return this.deliveries.confirm(manager, reservationId, providerMessageId);
  }

  cancel(manager: EntityManager, reservationId: string): Promise<void> {
    return this.deliveries.cancel(manager, reservationId);
  }

  send(to: string, code: string, reference: string): Promise<{ providerMessageId: string | null }> {
    return this.sms.send({
      to,
      reference,
      text: `Your sign-in code is ${code}. It expires in ${Math.round(this.config.otp.ttlSeconds / 60)} minutes. Never share it with anyone.`,
    });
  }

  isDeliveryError(error: unknown): boolean {
    return error instanceof SmsDeliveryError;
  }

  sendDetails(extra: Record<string, unknown>): Record<string, unknown> {
    return { provider: this.sms.name, ...extra };
  }

  budgetExhausted(retryAfterSeconds: number) {
    return smsBudgetExhausted(retryAfterSeconds);
  }

  notSent() {
    return smsNotSent();
  }
}

/**
 * The customer as the directory knows them now: from this request's password step, or as the engine
 * looked them up before the transaction opened. Never asked here: this runs inside a transaction.
 */
async function customer(state: JourneyState): Promise<DirectoryUser | null> {
  const known = state.transient.user;
  if (known !== undefined) return known;
  if (!state.context.cupid) return null;
  // The engine's lookup failed: the directory is down, and without it no phone is known.
  throw new DirectoryUnavailableError();
}

/**
 * Second factor by SMS one-time code, on the rules of MessageCodeStep (send, verify, resend; hashed,
 * TTL, attempts, resend budget), to the phone the directory holds.
 */
@Injectable()
export class SmsOtpStep extends MessageCodeStep {
  readonly kind = 'SMS_OTP' as const;
  /** The phone comes from the directory, looked up by the engine before any transaction opens. */
  override readonly needsCustomer = true;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(KEY_ENCRYPTION_KEY) kek: KeyEncryptionKey,
    sms: SmsSender,
    deliveries: SmsDeliveriesRepository,
    audit: AuditService,
    clock: Clock,
    mfaLockout: MfaLockoutService,
  ) {
    super(new SmsChannel(config, kek, sms, deliveries), config, audit, clock, mfaLockout);
  }
}
