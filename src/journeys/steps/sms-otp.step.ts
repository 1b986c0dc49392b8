import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { ApiError } from '../../common/problem';
import { hmacSha256, randomSecret } from '../../common/crypto';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { DirectoryUnavailableError, DirectoryUser, maskPhone } from '../../directory/user-directory.port';
import {
  codeAlreadySent,
  codeNotSent,
  otpExpired,
  otpInvalid,
  resendLimitReached,
  resendTooSoon,
  smsBudgetExhausted,
  smsNotSent,
} from '../../mfa/mfa-errors';
import { MfaLockoutService } from '../../mfa/mfa-lockout.service';
import { generateOtp, hashOtp, otpMatches } from '../../mfa/otp';
import { SmsDeliveriesRepository } from '../../mfa/sms/sms-deliveries.repository';
import { SmsDeliveryError, SmsSender } from '../../mfa/sms/sms-sender.port';
import { KEY_ENCRYPTION_KEY } from '../../tokens/keys/key-encryption-key';
import type { KeyEncryptionKey } from '../../tokens/keys/key-encryption-key';
import type { JourneyState } from '../policy';
import {
  ContactRun,
  JourneyStep,
  PreparedStep,
  StepContact,
  StepOutcome,
  StepRun,
  stepAuditBase,
} from './journey-step';
import { refuseWhileMfaLocked } from './mfa-lock';

export interface SmsOtpInput {
  code?: string;
}

/** What the verify transaction keeps about the code it carries (never the code). */
interface SmsChallenge {
  phase: 'VERIFY';
  sends: number;
  sentAt: string;
  codeExpiresAt: string;
}

/**
 * The message a send is about to send, kept sealed under the transaction token (PendingSend): a retry
 * with the same token after a failed or timed-out send resends this very code with this idempotency key,
 * so the customer never holds a code the service does not check.
 */
interface PendingSms {
  code: string;
  reference: string;
  createdAt: string;
}

/** What `begin` hands to `contact` and `complete` (in memory only). */
interface SmsPlan {
  to: string;
  message: PendingSms;
  reservationId: string;
  sendNumber: number;
  attempts: number;
  maskedPhone: string | null;
}

/**
 * Second factor by SMS one-time code. Three actions on the journey's transaction:
 * `send` (the customer chose SMS: a code goes out), `verify` (the code; wrong ones spend the
 * transaction's attempts, the last one fails the journey) and `resend` (a new code that voids the old,
 * within a per-journey limit and cool-down, and a budget per phone number and per customer that all
 * instances share, against SMS pumping). Codes are 6 digits from the CSPRNG, stored only as a keyed
 * hash, compared in constant time, and never written to a log or an audit event. A send counts against
 * the budget in the engine's first short transaction, goes to the provider with no database connection
 * held, and is confirmed (or cancelled, with its audit) in a second one.
 */
@Injectable()
export class SmsOtpStep extends JourneyStep<SmsOtpInput> {
  readonly kind = 'SMS_OTP' as const;
  readonly role = 'second-factor' as const;
  /** The phone comes from the directory, looked up by the engine before any transaction opens. */
  override readonly needsCustomer = true;
  private readonly otpKey: Buffer;
  private readonly recipientKey: Buffer;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KEY_ENCRYPTION_KEY) kek: KeyEncryptionKey,
    private readonly sms: SmsSender,
    private readonly deliveries: SmsDeliveriesRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly mfaLockout: MfaLockoutService,
  ) {
    super();
    this.otpKey = hmacSha256(kek.key, 'ciam:otp-hmac:v1');
    this.recipientKey = hmacSha256(kek.key, 'ciam:sms-recipient:v1');
  }

  maxTries(): number {
    return this.config.otp.maxAttempts;
  }

  override async availableFor(state: JourneyState): Promise<boolean> {
    return Boolean((await this.customer(state))?.phoneNumber);
  }

  override async describe(state: JourneyState): Promise<Record<string, unknown>> {
    return { maskedPhone: maskPhone((await this.customer(state))?.phoneNumber ?? null) };
  }

  override async begin(run: StepRun<SmsOtpInput>): Promise<StepOutcome | StepContact | null> {
    const locked = await refuseWhileMfaLocked(this.mfaLockout, run, this.kind);
    if (locked) return locked;
    const challenge = run.transaction.otpHash ? (run.transaction.challenge as unknown as SmsChallenge) : null;
    if (run.action === 'send')
      return challenge
        ? { kind: 'retry-same-token', error: codeAlreadySent(), countAttempt: false }
        : this.planSend(run, 1, 0);
    if (!challenge) return { kind: 'retry-same-token', error: codeNotSent(), countAttempt: false };
    if (run.action === 'resend') return this.resend(run, challenge);
    return null;
  }

  override contact({ plan }: ContactRun<SmsOtpInput>): Promise<{ providerMessageId: string | null }> {
    const { to, message } = plan as SmsPlan;
    return this.sms.send({
      to,
      reference: message.reference,
      text: `Your sign-in code is ${message.code}. It expires in ${Math.round(this.config.otp.ttlSeconds / 60)} minutes. Never share it with anyone.`,
    });
  }

  /** The provider did not take it: the send does not count, the failure is on record, the same token can retry (same code). */
  override async abandon(
    { state, origin, manager, plan }: StepRun<SmsOtpInput>,
    error: unknown,
  ): Promise<ApiError | null> {
    if (!(error instanceof SmsDeliveryError)) return null;
    const { reservationId, maskedPhone } = plan as SmsPlan;
    await this.deliveries.cancel(manager, reservationId);
    await this.audit.record(manager, {
      ...stepAuditBase(state, origin),
      type: AUDIT_EVENT_TYPES.SMS_OTP_SEND_FAILED,
      outcome: 'FAILURE',
      details: { provider: this.sms.name, reason: error.message, maskedPhone },
    });
    return smsNotSent();
  }

  async complete(run: StepRun<SmsOtpInput>): Promise<StepOutcome> {
    if (run.plan)
      return this.recordSend(run, run.plan as SmsPlan, run.evidence as { providerMessageId: string | null });
    return this.verify(run, run.transaction.challenge as unknown as SmsChallenge);
  }

  private async resend(run: StepRun<SmsOtpInput>, challenge: SmsChallenge): Promise<StepOutcome | StepContact> {
    if (challenge.sends > this.config.otp.resendLimit)
      return { kind: 'retry-same-token', error: resendLimitReached(), countAttempt: false };
    const wait = Math.ceil(
      (new Date(challenge.sentAt).getTime() +
        this.config.otp.resendCooldownSeconds * 1000 -
        this.clock.now().getTime()) /
        1000,
    );
    if (wait > 0) return { kind: 'retry-same-token', error: resendTooSoon(wait), countAttempt: false };
    // Attempts carry over, so resending never buys more guesses.
    return this.planSend(run, challenge.sends + 1, run.transaction.attempts);
  }

  private async verify(run: StepRun<SmsOtpInput>, challenge: SmsChallenge): Promise<StepOutcome> {
    const { state, transaction, manager, origin } = run;
    const base = stepAuditBase(state, origin);
    const code = String(run.input.code ?? '');
    if (new Date(challenge.codeExpiresAt) <= this.clock.now()) {
      await this.audit.record(manager, {
        ...base,
        type: AUDIT_EVENT_TYPES.OTP_REJECTED,
        outcome: 'FAILURE',
        details: { reason: 'expired' },
      });
      return { kind: 'retry-same-token', error: otpExpired(), countAttempt: false };
    }
    if (
      /^\d{6}$/.test(code) &&
      (otpMatches(this.otpKey, state.context.id, code, transaction.otpHash!) ||
        this.matchesUnconfirmedResend(run, code))
    ) {
      await this.audit.record(manager, {
        ...base,
        type: AUDIT_EVENT_TYPES.OTP_VERIFIED,
        outcome: 'SUCCESS',
        details: { factor: 'sms' },
      });
      return { kind: 'passed', facts: { amr: ['otp', 'sms'], secondFactor: true } };
    }
    await this.audit.record(manager, {
      ...base,
      type: AUDIT_EVENT_TYPES.OTP_REJECTED,
      outcome: 'FAILURE',
      details: { reason: 'invalid', attempt: transaction.attempts + 1, maxAttempts: transaction.maxAttempts },
    });
    // Counted per customer too, across journeys: enough wrong codes lock MFA (mfa-lockout.service.ts).
    const lockEngaged = await this.mfaLockout.recordWrongCode(manager, state.context.cupid!, state.context.id, base);
    return { kind: 'retry-same-token', error: lockEngaged ?? otpInvalid(), countAttempt: true };
  }

  /**
   * A resend whose provider call failed may still have reached the phone (a timeout after delivery): its
   * code, kept sealed under this very token, counts too until a send succeeds, so the code the customer
   * holds is always one the service checks.
   */
  private matchesUnconfirmedResend(run: StepRun<SmsOtpInput>, code: string): boolean {
    const pending = run.pending.read<PendingSms>();
    if (
      !pending ||
      new Date(pending.createdAt).getTime() + this.config.otp.ttlSeconds * 1000 <= this.clock.now().getTime()
    )
      return false;
    return otpMatches(
      this.otpKey,
      run.state.context.id,
      code,
      hashOtp(this.otpKey, run.state.context.id, pending.code),
    );
  }

  /**
   * Checks the budget and counts the send against it (under the recipient lock), and fixes the message:
   * the code and idempotency key from an earlier try with this token, or new ones kept for the next try.
   */
  private async planSend(
    run: StepRun<SmsOtpInput>,
    sendNumber: number,
    attempts: number,
  ): Promise<StepOutcome | StepContact> {
    const { state, manager, origin } = run;
    const cupid = state.context.cupid!;
    const user = await this.customer(state);
    const reset = state.context.options?.purpose === 'password_reset';
    if (!user?.phoneNumber)
      return reset
        ? this.sendNothing(run, sendNumber, attempts)
        : { kind: 'retry-same-token', error: codeNotSent(), countAttempt: false };
    const now = this.clock.now();
    const recipientHash = hmacSha256(this.recipientKey, user.phoneNumber.replace(/[^\d+]/g, ''));
    // A forgot-password journey shows nothing about the account before a factor passed, not even the masked phone.
    const maskedPhone = reset ? null : maskPhone(user.phoneNumber);
    const base = stepAuditBase(state, origin);

    await this.deliveries.lockRecipient(manager, recipientHash);
    const counts = await this.deliveries.counts(manager, recipientHash, cupid, now);
    const { perRecipient15m, perRecipient24h } = this.config.otp;
    if (
      Math.max(counts.recipient15m, counts.cupid15m) >= perRecipient15m ||
      Math.max(counts.recipient24h, counts.cupid24h) >= perRecipient24h
    ) {
      await this.audit.record(manager, {
        ...base,
        type: AUDIT_EVENT_TYPES.SMS_OTP_SEND_FAILED,
        outcome: 'FAILURE',
        details: { provider: this.sms.name, reason: 'budget_exhausted', maskedPhone },
      });
      const retryAfter = Math.max(counts.recipient15m, counts.cupid15m) >= perRecipient15m ? 15 * 60 : 24 * 3600;
      return { kind: 'retry-same-token', error: smsBudgetExhausted(retryAfter), countAttempt: false };
    }

    let message = run.pending.read<PendingSms>();
    if (!message) {
      message = { code: generateOtp(), reference: randomSecret(16), createdAt: now.toISOString() };
      await run.pending.write(message);
    }
    const reservationId = await this.deliveries.reserve(manager, {
      contextId: state.context.id,
      cupid,
      recipientHash,
      provider: this.sms.name,
      at: now,
    });
    const plan: SmsPlan = { to: user.phoneNumber, message, reservationId, sendNumber, attempts, maskedPhone };
    return { kind: 'contact', plan };
  }

  /** The provider took the message: the new transaction carries only the code's hash. */
  private async recordSend(
    { state, manager, origin }: StepRun<SmsOtpInput>,
    plan: SmsPlan,
    sent: { providerMessageId: string | null },
  ): Promise<StepOutcome> {
    const { message, sendNumber, attempts, maskedPhone } = plan;
    const now = this.clock.now();
    await this.deliveries.confirm(manager, plan.reservationId, sent.providerMessageId);
    await this.audit.record(manager, {
      ...stepAuditBase(state, origin),
      type: AUDIT_EVENT_TYPES.SMS_OTP_SENT,
      outcome: 'SUCCESS',
      details: { provider: this.sms.name, maskedPhone, send: sendNumber },
    });

    return {
      kind: 'continue',
      prepared: this.verifyPhase(message.createdAt, now, sendNumber, attempts, maskedPhone, () =>
        hashOtp(this.otpKey, state.context.id, message.code),
      ),
    };
  }

  /**
   * A forgot-password journey for an account without a phone (or for a username no one holds): the answer is the
   * one a sent code gets, so it does not tell that the account has no phone or does not exist (ASVS 6.3.8); no
   * message leaves and the transaction keeps a hash that no code matches. The audit trail keeps the truth.
   */
  private async sendNothing(run: StepRun<SmsOtpInput>, sendNumber: number, attempts: number): Promise<StepOutcome> {
    const now = this.clock.now();
    await this.audit.record(run.manager, {
      ...stepAuditBase(run.state, run.origin),
      type: AUDIT_EVENT_TYPES.SMS_OTP_SEND_FAILED,
      outcome: 'FAILURE',
      details: { provider: this.sms.name, reason: 'no_phone', maskedPhone: null },
    });
    return {
      kind: 'continue',
      prepared: this.verifyPhase(now.toISOString(), now, sendNumber, attempts, null, () => randomBytes(32)),
    };
  }

  /** The verify phase after a send: the transaction carries only the code's hash. */
  private verifyPhase(
    codeCreatedAt: string,
    now: Date,
    sendNumber: number,
    attempts: number,
    maskedPhone: string | null,
    otpHash: () => Buffer,
  ): PreparedStep {
    // The code lives from when it was first generated: a retried send does not extend it.
    const codeExpiresAt = new Date(new Date(codeCreatedAt).getTime() + this.config.otp.ttlSeconds * 1000);
    const challenge: SmsChallenge = {
      phase: 'VERIFY',
      sends: sendNumber,
      sentAt: now.toISOString(),
      codeExpiresAt: codeExpiresAt.toISOString(),
    };
    return {
      challenge: challenge as unknown as Record<string, unknown>,
      otpHash: otpHash(),
      attempts,
      maxAttempts: this.config.otp.maxAttempts,
      // The transaction outlives the code, so an expired code can still be resent.
      ttlSeconds: this.config.journeys.contextTtlSeconds,
      display: {
        phase: 'VERIFY',
        maskedPhone,
        codeLength: 6,
        codeExpiresAt: codeExpiresAt.toISOString(),
        resendAvailableAt:
          sendNumber > this.config.otp.resendLimit
            ? null
            : new Date(now.getTime() + this.config.otp.resendCooldownSeconds * 1000).toISOString(),
        attemptsLeft: this.config.otp.maxAttempts - attempts,
      },
    };
  }

  /**
   * The customer as the directory knows them now: from this request's password step, or as the engine
   * looked them up before the transaction opened. Never asked here: this runs inside a transaction.
   */
  private async customer(state: JourneyState): Promise<DirectoryUser | null> {
    const known = state.transient.user;
    if (known !== undefined) return known;
    if (!state.context.cupid) return null;
    // The engine's lookup failed: the directory is down, and without it no phone is known.
    throw new DirectoryUnavailableError();
  }
}
