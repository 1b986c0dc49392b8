import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { CustomerNotifier } from '../../common/customer-notifier';
import { ApiError } from '../../common/problem';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { passwordPolicyViolations, PasswordRule } from '../../directory/password-policy';
import { directoryOutage, DirectoryUnavailableError, UserDirectory } from '../../directory/user-directory.port';
import { SessionsService } from '../../sessions/sessions.service';
import { JourneyFailedError } from '../journey-errors';
import { ContactRun, JourneyStep, StepContact, StepOutcome, StepRun, stepAuditBase } from './journey-step';

export interface SetPasswordInput {
  newPassword: string;
}

interface SetPasswordPlan {
  cupid: string;
}

/** 422 naming the rules broken (never the password): the same token may try another. */
export function passwordPolicyViolation(rules: PasswordRule[]): ApiError {
  return new ApiError(
    HttpStatus.UNPROCESSABLE_ENTITY,
    'PASSWORD_POLICY_VIOLATION',
    'Password not accepted',
    `The new password breaks the password policy: ${rules.join(', ')}.`,
    { errors: [{ field: 'newPassword', messages: rules }] },
  );
}

/**
 * The last step of a forgot-password journey (issue 17, item 6), reached only once a registered factor passed:
 * the new password is checked against the policy (src/directory/password-policy.ts, NIST 800-63B §5.1.1.2), then
 * set by the directory (`changePassword`, a network call: between the engine's transactions, never inside one),
 * then every session of the customer is revoked in the transaction that records the step (their refresh tokens
 * stop working; the sessions trigger queues back-channel logout), audited, and the customer told on another
 * channel once the transaction is over. The journey then ends without a session: the customer signs in with
 * the new password (a recovery never doubles as a sign-in).
 */
@Injectable()
export class SetPasswordStep extends JourneyStep<SetPasswordInput> {
  readonly kind = 'SET_PASSWORD' as const;
  readonly role = 'reset-password' as const;
  /** The username (the policy refuses it as a password) comes from the directory, read before any transaction. */
  override readonly needsCustomer = true;
  private readonly logger = new Logger(SetPasswordStep.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly directory: UserDirectory,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly notifier: CustomerNotifier,
  ) {
    super();
  }

  maxTries(): number {
    return this.config.journeys.passwordAttemptsPerJourney;
  }

  override async begin({
    state,
    input,
    origin,
    manager,
  }: StepRun<SetPasswordInput>): Promise<StepOutcome | StepContact> {
    const user = state.transient.user;
    // The engine's lookup failed: without the entry the policy cannot be checked, so nothing is set.
    if (user === undefined) throw new DirectoryUnavailableError();
    const base = stepAuditBase(state, origin);
    if (!user || user.status !== 'ACTIVE') return this.notResettable(manager, base, 'customer not resettable');
    const rules = passwordPolicyViolations(String(input.newPassword ?? ''), user.username);
    if (rules.length > 0) {
      await this.audit.record(manager, {
        ...base,
        type: AUDIT_EVENT_TYPES.PASSWORD_RESET_REJECTED,
        outcome: 'FAILURE',
        details: { reason: 'policy', rules },
      });
      // Not a guess at anything: a refusal spends no attempt.
      return { kind: 'retry-same-token', error: passwordPolicyViolation(rules), countAttempt: false };
    }
    const plan: SetPasswordPlan = { cupid: user.cupid };
    return { kind: 'contact', plan };
  }

  /** No active entry to reset (unknown, disabled, or gone meanwhile): audited, and the journey ends. */
  private async notResettable(
    manager: StepRun<SetPasswordInput>['manager'],
    base: ReturnType<typeof stepAuditBase>,
    reason: string,
  ): Promise<StepOutcome> {
    await this.audit.record(manager, {
      ...base,
      type: AUDIT_EVENT_TYPES.PASSWORD_RESET_REJECTED,
      outcome: 'FAILURE',
      details: { reason: 'unknown_customer' },
    });
    return { kind: 'failed', error: new JourneyFailedError('This password cannot be reset.'), reason };
  }

  override contact({ plan, input }: ContactRun<SetPasswordInput>): Promise<boolean> {
    return this.directory.changePassword((plan as SetPasswordPlan).cupid, input.newPassword);
  }

  /** The directory did not answer: nothing changed, the same token can retry. */
  override async abandon(_run: StepRun<SetPasswordInput>, error: unknown): Promise<ApiError | null> {
    return directoryOutage(error);
  }

  async complete({ state, origin, manager, evidence, plan }: StepRun<SetPasswordInput>): Promise<StepOutcome> {
    const base = stepAuditBase(state, origin);
    const { cupid } = plan as SetPasswordPlan;
    if (evidence !== true) {
      // The entry went away between the lookup and the change.
      return this.notResettable(manager, base, 'customer gone');
    }
    const revoked = await this.sessions.revokeAllForCupid(
      cupid,
      { type: 'CUSTOMER', id: cupid },
      'password_reset',
      undefined,
      { ip: origin.ip, userAgent: origin.userAgent },
      manager,
    );
    const factor = state.passed.find((entry) => entry.facts.secondFactor === true)?.step ?? null;
    await this.audit.record(manager, {
      ...base,
      type: AUDIT_EVENT_TYPES.PASSWORD_RESET,
      outcome: 'SUCCESS',
      details: { directory: this.directory.name, factor, sessionsRevoked: revoked },
    });
    this.notifyLater(cupid);
    return { kind: 'passed', facts: { amr: [], passwordReset: true } };
  }

  /** After the step's transaction (a notice is a network call); the reset is in the audit trail whatever happens to it. */
  private notifyLater(cupid: string): void {
    setImmediate(() => {
      this.notifier
        .notify(cupid, 'password.reset', {})
        .catch((error: Error) => this.logger.warn({ error: error.name }, 'password reset notice failed'));
    });
  }
}
