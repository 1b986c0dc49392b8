import { randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import type { AuditEventType } from '../../audit/audit-events';
import type { AuditService } from '../../audit/audit.service';
import type { Clock } from '../../common/clock';
import type { ApiError } from '../../common/problem';
import { randomSecret } from '../../common/crypto';
import type { AppConfig } from '../../config/config';
import {
  codeAlreadySent,
  codeNotSent,
  otpExpired,
  otpInvalid,
  resendLimitReached,
  resendTooSoon,
} from '../../mfa/mfa-errors';
import type { MfaLockoutService } from '../../mfa/mfa-lockout.service';
import { generateOtp, hashOtp, otpMatches } from '../../mfa/otp';
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

export interface MessageCodeInput {
  code?: string;
}

/**
 * What differs between the channels a one-time code can go by (SMS to the directory's phone, email to the
 * verified address): where it goes, how it is shown masked, the per-recipient budget, the sender, the audit
 * events and the problems. Everything else (the code's rules) is MessageCodeStep's, the same for every channel.
 */
export interface MessageCodeChannel {
  /** `details.factor` of mfa.otp_verified. */
  readonly factor: 'sms' | 'email';
  /** RFC 8176 methods a right code proves. */
  readonly amr: string[];
  /** The name of the masked recipient in nextStep and audit details (`maskedPhone`, `maskedEmail`). */
  readonly maskedKey: string;
  /** The provider's name, for the audit details. */
  readonly provider: string;
  /** The HMAC key of the code at rest. */
  codeKey(): Buffer;
  /** Where the code goes; `manager` when inside the step's transaction. Null: the customer has none. */
  recipient(state: JourneyState, manager?: EntityManager): Promise<string | null>;
  mask(recipient: string): string | null;
  /**
   * Locks the recipient, checks its budget and counts this send against it: the reservation, or how long to
   * wait when the budget is spent (the refusal is audited by the caller with `budgetReason`).
   */
  reserve(
    manager: EntityManager,
    send: { contextId: string; cupid: string; recipient: string; at: Date },
  ): Promise<{ reservationId: string } | { retryAfterSeconds: number }>;
  confirm(manager: EntityManager, reservationId: string, providerMessageId: string | null): Promise<void>;
  cancel(manager: EntityManager, reservationId: string): Promise<void>;
  /** The code goes out (no database connection held); throws when the provider did not take it. */
  send(recipient: string, code: string, reference: string): Promise<{ providerMessageId: string | null }>;
  /** A failure of the provider (answered with `notSent`), as opposed to a bug (a 500). */
  isDeliveryError(error: unknown): boolean;
  readonly events: { sent: AuditEventType; sendFailed: AuditEventType };
  /** Audit details of a send (or a failed one), beside the masked recipient. */
  sendDetails(extra: Record<string, unknown>): Record<string, unknown>;
  /** `reason` of the audited refusal when the budget is spent. */
  readonly budgetReason: string;
  /** Extra details of mfa.otp_rejected (SMS keeps its historical ones). */
  readonly rejectDetails: Record<string, unknown>;
  budgetExhausted(retryAfterSeconds: number): ApiError;
  notSent(): ApiError;
  /** After a right code, in the same transaction (e.g. the address's last use). */
  verified?(manager: EntityManager, cupid: string, at: Date): Promise<void>;
}

/** What the verify transaction keeps about the code it carries (never the code). */
interface CodeChallenge {
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
interface PendingCode {
  code: string;
  reference: string;
  createdAt: string;
}

/** What `begin` hands to `contact` and `complete` (in memory only). */
interface CodePlan {
  to: string;
  message: PendingCode;
  reservationId: string;
  sendNumber: number;
  attempts: number;
  masked: string | null;
}

/**
 * Second factor by a one-time code sent as a message, one class per channel (SmsOtpStep, EmailOtpStep) on
 * these rules. Three actions on the journey's transaction: `send` (the customer chose the channel: a code
 * goes out), `verify` (the code; wrong ones spend the transaction's attempts, the last one fails the journey)
 * and `resend` (a new code that voids the old, within a per-journey limit and cool-down, and a budget per
 * recipient that all instances share, against pumping). Codes are 6 digits from the CSPRNG, stored only as a
 * keyed hash, compared in constant time, and never written to a log or an audit event. A send counts against
 * the budget in the engine's first short transaction, goes to the provider with no database connection held,
 * and is confirmed (or cancelled, with its audit) in a second one.
 */
export abstract class MessageCodeStep extends JourneyStep<MessageCodeInput> {
  readonly role = 'second-factor' as const;

  protected constructor(
    protected readonly channel: MessageCodeChannel,
    protected readonly config: AppConfig,
    protected readonly audit: AuditService,
    protected readonly clock: Clock,
    protected readonly mfaLockout: MfaLockoutService,
  ) {
    super();
  }

  maxTries(): number {
    return this.config.otp.maxAttempts;
  }

  override async availableFor(state: JourneyState): Promise<boolean> {
    return Boolean(await this.channel.recipient(state));
  }

  override async describe(state: JourneyState): Promise<Record<string, unknown>> {
    // A forgot-password journey shows nothing about the account before a factor passed, not even the masked phone.
    if (isPasswordReset(state)) return { [this.channel.maskedKey]: null };
    const to = await this.channel.recipient(state);
    return { [this.channel.maskedKey]: to ? this.channel.mask(to) : null };
  }

  override async begin(run: StepRun<MessageCodeInput>): Promise<StepOutcome | StepContact | null> {
    const locked = await refuseWhileMfaLocked(this.mfaLockout, run, this.kind);
    if (locked) return locked;
    const challenge = run.transaction.otpHash ? (run.transaction.challenge as unknown as CodeChallenge) : null;
    if (run.action === 'send')
      return challenge
        ? { kind: 'retry-same-token', error: codeAlreadySent(), countAttempt: false }
        : this.planSend(run, 1, 0);
    if (!challenge) return { kind: 'retry-same-token', error: codeNotSent(), countAttempt: false };
    if (run.action === 'resend') return this.resend(run, challenge);
    return null;
  }

  override contact({ plan }: ContactRun<MessageCodeInput>): Promise<{ providerMessageId: string | null }> {
    const { to, message } = plan as CodePlan;
    return this.channel.send(to, message.code, message.reference);
  }

  /** The provider did not take it: the send does not count, the failure is on record, the same token can retry (same code). */
  override async abandon(
    { state, origin, manager, plan }: StepRun<MessageCodeInput>,
    error: unknown,
  ): Promise<ApiError | null> {
    if (!this.channel.isDeliveryError(error)) return null;
    const { reservationId, masked } = plan as CodePlan;
    await this.channel.cancel(manager, reservationId);
    await this.audit.record(manager, {
      ...stepAuditBase(state, origin),
      type: this.channel.events.sendFailed,
      outcome: 'FAILURE',
      details: this.channel.sendDetails({ reason: (error as Error).message, [this.channel.maskedKey]: masked }),
    });
    return this.channel.notSent();
  }

  async complete(run: StepRun<MessageCodeInput>): Promise<StepOutcome> {
    if (run.plan)
      return this.recordSend(run, run.plan as CodePlan, run.evidence as { providerMessageId: string | null });
    return this.verify(run, run.transaction.challenge as unknown as CodeChallenge);
  }

  private async resend(run: StepRun<MessageCodeInput>, challenge: CodeChallenge): Promise<StepOutcome | StepContact> {
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

  private async verify(run: StepRun<MessageCodeInput>, challenge: CodeChallenge): Promise<StepOutcome> {
    const { state, transaction, manager, origin } = run;
    const base = stepAuditBase(state, origin);
    const code = String(run.input.code ?? '');
    if (new Date(challenge.codeExpiresAt) <= this.clock.now()) {
      await this.audit.record(manager, {
        ...base,
        type: AUDIT_EVENT_TYPES.OTP_REJECTED,
        outcome: 'FAILURE',
        details: { reason: 'expired', ...this.channel.rejectDetails },
      });
      return { kind: 'retry-same-token', error: otpExpired(), countAttempt: false };
    }
    if (
      /^\d{6}$/.test(code) &&
      (otpMatches(this.channel.codeKey(), state.context.id, code, transaction.otpHash!) ||
        this.matchesUnconfirmedResend(run, code))
    ) {
      await this.channel.verified?.(manager, state.context.cupid!, this.clock.now());
      await this.audit.record(manager, {
        ...base,
        type: AUDIT_EVENT_TYPES.OTP_VERIFIED,
        outcome: 'SUCCESS',
        details: { factor: this.channel.factor },
      });
      return { kind: 'passed', facts: { amr: [...this.channel.amr], secondFactor: true } };
    }
    await this.audit.record(manager, {
      ...base,
      type: AUDIT_EVENT_TYPES.OTP_REJECTED,
      outcome: 'FAILURE',
      details: {
        reason: 'invalid',
        attempt: transaction.attempts + 1,
        maxAttempts: transaction.maxAttempts,
        ...this.channel.rejectDetails,
      },
    });
    // Counted per customer too, across journeys: enough wrong codes lock MFA (mfa-lockout.service.ts).
    const lockEngaged = await this.mfaLockout.recordWrongCode(manager, state.context.cupid!, state.context.id, base);
    return { kind: 'retry-same-token', error: lockEngaged ?? otpInvalid(), countAttempt: true };
  }

  /**
   * A resend whose provider call failed may still have reached the customer (a timeout after delivery): its
   * code, kept sealed under this very token, counts too until a send succeeds, so the code the customer
   * holds is always one the service checks.
   */
  private matchesUnconfirmedResend(run: StepRun<MessageCodeInput>, code: string): boolean {
    const pending = run.pending.read<PendingCode>();
    if (
      !pending ||
      new Date(pending.createdAt).getTime() + this.config.otp.ttlSeconds * 1000 <= this.clock.now().getTime()
    )
      return false;
    const key = this.channel.codeKey();
    return otpMatches(key, run.state.context.id, code, hashOtp(key, run.state.context.id, pending.code));
  }

  /**
   * Checks the budget and counts the send against it (under the recipient lock), and fixes the message:
   * the code and idempotency key from an earlier try with this token, or new ones kept for the next try.
   */
  private async planSend(
    run: StepRun<MessageCodeInput>,
    sendNumber: number,
    attempts: number,
  ): Promise<StepOutcome | StepContact> {
    const { state, manager, origin } = run;
    const cupid = state.context.cupid!;
    const reset = isPasswordReset(state);
    const to = await this.channel.recipient(state, manager);
    if (!to)
      return reset
        ? this.sendNothing(run, sendNumber, attempts)
        : { kind: 'retry-same-token', error: codeNotSent(), countAttempt: false };
    const now = this.clock.now();
    const masked = reset ? null : this.channel.mask(to);

    const reserved = await this.channel.reserve(manager, {
      contextId: state.context.id,
      cupid,
      recipient: to,
      at: now,
    });
    if ('retryAfterSeconds' in reserved) {
      await this.audit.record(manager, {
        ...stepAuditBase(state, origin),
        type: this.channel.events.sendFailed,
        outcome: 'FAILURE',
        details: this.channel.sendDetails({ reason: this.channel.budgetReason, [this.channel.maskedKey]: masked }),
      });
      return {
        kind: 'retry-same-token',
        error: this.channel.budgetExhausted(reserved.retryAfterSeconds),
        countAttempt: false,
      };
    }

    let message = run.pending.read<PendingCode>();
    if (!message) {
      message = { code: generateOtp(), reference: randomSecret(16), createdAt: now.toISOString() };
      await run.pending.write(message);
    }
    const plan: CodePlan = { to, message, reservationId: reserved.reservationId, sendNumber, attempts, masked };
    return { kind: 'contact', plan };
  }

  /** The provider took the message: the new transaction carries only the code's hash. */
  private async recordSend(
    { state, manager, origin }: StepRun<MessageCodeInput>,
    plan: CodePlan,
    sent: { providerMessageId: string | null },
  ): Promise<StepOutcome> {
    const { message, sendNumber, attempts, masked } = plan;
    const now = this.clock.now();
    await this.channel.confirm(manager, plan.reservationId, sent.providerMessageId);
    await this.audit.record(manager, {
      ...stepAuditBase(state, origin),
      type: this.channel.events.sent,
      outcome: 'SUCCESS',
      details: this.channel.sendDetails({ [this.channel.maskedKey]: masked, send: sendNumber }),
    });

    return {
      kind: 'continue',
      prepared: this.verifyPhase(message.createdAt, now, sendNumber, attempts, masked, () =>
        hashOtp(this.channel.codeKey(), state.context.id, message.code),
      ),
    };
  }

  /**
   * A forgot-password journey for an account without a recipient (or for a username no one holds): the answer
   * is the one a sent code gets, so it does not tell that the account has no phone or does not exist (ASVS
   * 6.3.8); no message leaves and the transaction keeps a hash that no code matches. The audit trail keeps the
   * truth.
   */
  private async sendNothing(
    run: StepRun<MessageCodeInput>,
    sendNumber: number,
    attempts: number,
  ): Promise<StepOutcome> {
    const now = this.clock.now();
    await this.audit.record(run.manager, {
      ...stepAuditBase(run.state, run.origin),
      type: this.channel.events.sendFailed,
      outcome: 'FAILURE',
      details: this.channel.sendDetails({ reason: 'no_recipient', [this.channel.maskedKey]: null }),
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
    masked: string | null,
    otpHash: () => Buffer,
  ): PreparedStep {
    // The code lives from when it was first generated: a retried send does not extend it.
    const codeExpiresAt = new Date(new Date(codeCreatedAt).getTime() + this.config.otp.ttlSeconds * 1000);
    const challenge: CodeChallenge = {
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
        [this.channel.maskedKey]: masked,
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
}

function isPasswordReset(state: JourneyState): boolean {
  return state.context.options?.purpose === 'password_reset';
}
