import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { CustomerNotifier } from '../../common/customer-notifier';
import type { RequestOrigin } from '../../common/request-origin';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { codeNotSent, otpExpired, otpInvalid, resendLimitReached, resendTooSoon } from '../mfa-errors';
import { generateOtp, hashOtp, otpMatches } from '../otp';
import { CustomerEmailsRepository } from './customer-emails.repository';
import { emailBudgetExhausted, emailNotSent, emailUnavailable } from './email-errors';
import { EmailKeys } from './email-keys';
import { EmailSender, maskEmail } from './email-sender.port';
import { renderEmail } from './email-templates';

/** The HMAC binding of a verification code: its own row, so a code means nothing for another verification. */
const binding = (verificationId: string) => `email-verify:${verificationId}`;

/**
 * Email verification under /me (issue 17, item 1): add an address, receive a code, confirm it; the address
 * becomes the customer's verified one (keyed by CUPID), the email factor and the notices' channel. The codes follow
 * the SMS code's rules (src/mfa/otp.ts: 6 digits, HMAC at rest, constant-time check; OTP_TTL_SECONDS,
 * OTP_MAX_ATTEMPTS, OTP_RESEND_LIMIT / _COOLDOWN_SECONDS) and a per-address budget (EMAIL_RECIPIENT_LIMIT_*),
 * reserved under an advisory lock before the send. The email goes out with no transaction open.
 */
@Injectable()
export class EmailVerificationService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly emails: CustomerEmailsRepository,
    private readonly keys: EmailKeys,
    private readonly sender: EmailSender,
    private readonly audit: AuditService,
    private readonly notifier: CustomerNotifier,
    private readonly clock: Clock,
  ) {}

  async current(cupid: string): Promise<{ address: string; verifiedAt: Date } | null> {
    const row = await this.emails.find(this.dataSource.manager, cupid);
    return row ? { address: row.address, verifiedAt: row.verifiedAt } : null;
  }

  /** Sends a code to `address` (a new address, or the pending one again: a resend). */
  async start(
    cupid: string,
    address: string,
    origin: RequestOrigin,
  ): Promise<{ expiresAt: Date; resendAvailableAt: Date }> {
    if (this.config.email.provider === 'none') throw emailUnavailable();
    const { otp } = this.config;
    const now = this.clock.now();
    const code = generateOtp();
    const expiresAt = new Date(now.getTime() + otp.ttlSeconds * 1000);
    const recipientHash = this.keys.recipientHash(address);
    const actor = { type: 'CUSTOMER' as const, id: cupid };
    const { deliveryId, send } = await this.dataSource.transaction(async (tx) => {
      await this.emails.lockRecipient(tx, recipientHash);
      const pending = await this.emails.pendingForUpdate(tx, cupid);
      const resend = pending !== null && pending.address === address && pending.expiresAt > now;
      if (resend) {
        const wait = pending.lastSentAt.getTime() + otp.resendCooldownSeconds * 1000 - now.getTime();
        if (wait > 0) throw resendTooSoon(Math.ceil(wait / 1000));
        if (pending.sends > otp.resendLimit) throw resendLimitReached();
      }
      const counts = await this.emails.recipientCounts(tx, recipientHash, now);
      if (counts.r15 >= this.config.email.perRecipient15m || counts.r24 >= this.config.email.perRecipient24h) {
        const retryAfter = counts.r15 >= this.config.email.perRecipient15m ? 15 * 60 : 24 * 3600;
        await this.audit.record(this.dataSource.manager, {
          type: AUDIT_EVENT_TYPES.EMAIL_CODE_SEND_FAILED,
          outcome: 'FAILURE',
          actor,
          cupid,
          ...origin,
          details: { purpose: 'verify', provider: this.sender.name, reason: 'budget' },
        });
        throw emailBudgetExhausted(retryAfter);
      }
      let id: string;
      if (resend) {
        id = pending.id;
        await this.emails.resend(tx, id, hashOtp(this.keys.codeKey, binding(id), code), now, expiresAt);
      } else {
        id = randomUUID();
        const codeHash = hashOtp(this.keys.codeKey, binding(id), code);
        await this.emails.replacePending(tx, { id, cupid, address, codeHash, at: now, expiresAt });
      }
      const reserved = await this.emails.reserveDelivery(tx, { cupid, recipientHash, purpose: 'verify', at: now });
      return { deliveryId: reserved, send: resend ? pending.sends + 1 : 1 };
    });
    const message = renderEmail(this.config.email.language, 'verify_code', {
      brand: this.config.loginUi.brandName,
      code,
      minutes: String(Math.round(otp.ttlSeconds / 60)),
    });
    try {
      await this.sender.send({ to: address, ...message, reference: `verify-${deliveryId}` });
    } catch (error) {
      await this.emails.cancelDelivery(this.dataSource.manager, deliveryId);
      await this.audit.record(this.dataSource.manager, {
        type: AUDIT_EVENT_TYPES.EMAIL_CODE_SEND_FAILED,
        outcome: 'FAILURE',
        actor,
        cupid,
        ...origin,
        details: { purpose: 'verify', provider: this.sender.name, reason: (error as Error).name },
      });
      throw emailNotSent();
    }
    await this.audit.record(this.dataSource.manager, {
      type: AUDIT_EVENT_TYPES.EMAIL_CODE_SENT,
      outcome: 'SUCCESS',
      actor,
      cupid,
      ...origin,
      details: { purpose: 'verify', provider: this.sender.name, maskedEmail: maskEmail(address), send },
    });
    return { expiresAt, resendAvailableAt: new Date(now.getTime() + otp.resendCooldownSeconds * 1000) };
  }

  /**
   * Checks the code; the right one makes the address the verified one, once (a conditional UPDATE: two requests
   * with the right code cannot both verify). OTP_MAX_ATTEMPTS wrong codes close the verification.
   */
  async confirm(cupid: string, code: string, origin: RequestOrigin): Promise<{ address: string }> {
    const now = this.clock.now();
    const actor = { type: 'CUSTOMER' as const, id: cupid };
    const maxAttempts = this.config.otp.maxAttempts;
    const outcome = await this.dataSource.transaction(async (tx) =>
      this.audit.unitOfWork(tx, async () => {
        const pending = await this.emails.pendingForUpdate(tx, cupid);
        if (!pending) return { kind: 'none' as const };
        if (pending.expiresAt <= now) {
          await this.audit.record(tx, {
            type: AUDIT_EVENT_TYPES.EMAIL_VERIFICATION_REJECTED,
            outcome: 'FAILURE',
            actor,
            cupid,
            ...origin,
            details: { reason: 'expired', attempt: pending.attempts, maxAttempts },
          });
          return { kind: 'expired' as const };
        }
        if (!otpMatches(this.keys.codeKey, binding(pending.id), code, pending.codeHash)) {
          const attempt = pending.attempts + 1;
          await this.emails.countAttempt(tx, pending.id);
          // The last wrong code closes the verification: the customer starts again with a new code.
          if (attempt >= maxAttempts) await this.emails.consume(tx, pending.id, now);
          await this.audit.record(tx, {
            type: AUDIT_EVENT_TYPES.EMAIL_VERIFICATION_REJECTED,
            outcome: 'FAILURE',
            actor,
            cupid,
            ...origin,
            details: { reason: 'invalid', attempt, maxAttempts },
          });
          return { kind: 'invalid' as const, attemptsLeft: Math.max(0, maxAttempts - attempt) };
        }
        if (!(await this.emails.consume(tx, pending.id, now))) return { kind: 'none' as const };
        const before = await this.emails.find(tx, cupid);
        await this.emails.upsertVerified(tx, cupid, pending.address, now);
        await this.audit.record(tx, {
          type: AUDIT_EVENT_TYPES.EMAIL_VERIFIED,
          outcome: 'SUCCESS',
          actor,
          cupid,
          ...origin,
          details: { maskedEmail: maskEmail(pending.address), replaced: before !== null },
        });
        return { kind: 'verified' as const, address: pending.address };
      }),
    );
    if (outcome.kind === 'none') throw codeNotSent();
    if (outcome.kind === 'expired') throw otpExpired();
    if (outcome.kind === 'invalid') {
      const error = otpInvalid();
      Object.assign(error.extensions, { attemptsLeft: outcome.attemptsLeft });
      throw error;
    }
    await this.notifier.notify(cupid, 'email.verified', { address: maskEmail(outcome.address) });
    return { address: outcome.address };
  }

  /** Removes the verified address; false when there was none. Audited; notified (by SMS, the address being gone). */
  async remove(cupid: string, actor: { type: 'CUSTOMER' | 'AGENT'; id: string }, reason: string): Promise<boolean> {
    const removed = await this.dataSource.transaction(async (tx) => {
      const row = await this.emails.find(tx, cupid);
      if (!row || !(await this.emails.delete(tx, cupid))) return null;
      await this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.EMAIL_REMOVED,
        outcome: 'SUCCESS',
        actor,
        cupid,
        details: { maskedEmail: maskEmail(row.address), reason },
      });
      return row;
    });
    if (!removed) return false;
    await this.notifier.notify(cupid, 'factor.removed', { kind: 'email' });
    return true;
  }
}
