import { Inject, Injectable, Logger } from '@nestjs/common';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { ApiError, DependencyUnavailableError } from '../../common/problem';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { PasskeysRepository } from '../../mfa/passkeys/passkeys.repository';
import { PasskeysService } from '../../mfa/passkeys/passkeys.service';
import { challengeOf, PasskeyRelyingParty } from '../../mfa/passkeys/relying-party';
import type { JourneyState } from '../policy';
import { JourneyStep, PreparedStep, StepOutcome, StepRun, stepAuditBase } from './journey-step';
import { PasskeyChallenge, passkeyOptionsRequired } from './passkey-assertion';

export interface PasskeyEnrolInput {
  /** `register`: the browser's PublicKeyCredential.toJSON() of navigator.credentials.create(). */
  credential?: unknown;
  /** `register`: a name the customer recognises (default "Passkey"). */
  name?: string;
}

/** The same answer as /me/passkeys gives: nothing about which check failed. */
function registrationRefused(): ApiError {
  return new ApiError(
    400,
    'PASSKEY_REGISTRATION_INVALID',
    'Passkey registration refused',
    'The registration did not verify against a live challenge of this step: ask for new options, or choose "Not now".',
  );
}

/**
 * Issue 17 item 3: the registration ceremony as a journey step. After a multi-factor sign-in, a customer without a
 * passkey is offered one (only on the channels of PASSKEY_ENROLMENT_OFFER; never on a step-up). Three actions on the
 * step's token: `options` (the WebAuthn creation options, their challenge kept on the new transaction row: single use
 * with that token, expiring with WEBAUTHN_CHALLENGE_TTL_SECONDS), `register` (verified exactly as /me/passkeys does,
 * by the same relying party, and stored by the same PasskeysService.record in the journey's transaction) and
 * `skip` ("Not now": the journey goes on without one). The offer follows a second factor passed in this very
 * journey, so it is the fresh step-up that enrolment under /me needs (item 5). Enrolling proves nothing new:
 * no amr, no change of level. The customer's notice leaves after the transaction (see `notifyLater`).
 */
@Injectable()
export class PasskeyEnrolStep extends JourneyStep<PasskeyEnrolInput> {
  readonly kind = 'PASSKEY_ENROL' as const;
  readonly role = 'enrolment' as const;
  /** The creation options name the account on the authenticator: the directory's username, looked up first. */
  override readonly needsCustomer = true;
  private readonly logger = new Logger(PasskeyEnrolStep.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly passkeys: PasskeysRepository,
    private readonly service: PasskeysService,
    private readonly relyingParty: PasskeyRelyingParty,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {
    super();
  }

  maxTries(): number {
    return this.config.otp.maxAttempts;
  }

  override async availableFor(state: JourneyState): Promise<boolean> {
    const { context } = state;
    if (!this.config.webauthn.enrolmentOffer.includes(context.channel)) return false;
    // A step-up raises a session for a purpose; an offer there would be in the way. Once per journey, offered or not.
    if (!context.cupid || context.options?.stepUp || state.passed.some((entry) => entry.step === this.kind))
      return false;
    // Only after a second factor of this journey: a password alone never creates a factor (ASVS 6.4.4).
    if (!state.passed.some((entry) => entry.facts.secondFactor === true)) return false;
    return !(await this.passkeys.hasActive(state.db, context.cupid));
  }

  override async prepare(): Promise<PreparedStep> {
    return { display: { phase: 'OFFER' } };
  }

  async complete(run: StepRun<PasskeyEnrolInput>): Promise<StepOutcome> {
    if (run.action === 'skip') return this.skip(run);
    if (run.action === 'options') return this.options(run);
    return this.register(run);
  }

  private async skip({ state, manager, origin }: StepRun<PasskeyEnrolInput>): Promise<StepOutcome> {
    await this.audit.record(manager, {
      ...stepAuditBase(state, origin),
      type: AUDIT_EVENT_TYPES.PASSKEY_ENROLMENT_DECLINED,
      outcome: 'SUCCESS',
      details: {},
    });
    return { kind: 'passed', facts: { amr: [], passkeyEnrolment: 'declined' } };
  }

  private async options({ state, manager }: StepRun<PasskeyEnrolInput>): Promise<StepOutcome> {
    const cupid = state.context.cupid!;
    const user = state.transient.user;
    // The engine looked the customer up (needsCustomer): absent when the directory could not answer (the same token
    // works again), null when it no longer knows the customer (who cannot enrol).
    if (user === undefined)
      return {
        kind: 'retry-same-token',
        error: new DependencyUnavailableError('customer directory'),
        countAttempt: false,
      };
    if (user === null) return { kind: 'retry-same-token', error: registrationRefused(), countAttempt: false };
    const publicKey = await this.relyingParty.registrationOptions(
      cupid,
      { name: user.username, displayName: user.displayName ?? user.username },
      await this.passkeys.listActive(cupid, manager),
    );
    const ttlSeconds = this.config.webauthn.challengeTtlSeconds;
    const challenge: PasskeyChallenge = {
      passkeyChallenge: publicKey.challenge,
      challengeExpiresAt: new Date(this.clock.now().getTime() + ttlSeconds * 1000).toISOString(),
    };
    return {
      kind: 'continue',
      prepared: {
        challenge: { ...challenge },
        display: { phase: 'CREATE', publicKey },
        ttlSeconds,
        maxAttempts: this.maxTries(),
      },
    };
  }

  private async register(run: StepRun<PasskeyEnrolInput>): Promise<StepOutcome> {
    const { state, transaction, manager, origin, input } = run;
    const cupid = state.context.cupid!;
    const stored = transaction.challenge as Partial<PasskeyChallenge>;
    if (!stored.passkeyChallenge)
      return { kind: 'retry-same-token', error: passkeyOptionsRequired(), countAttempt: false };
    const base = stepAuditBase(state, origin);
    const reject = async (reason: string): Promise<StepOutcome> => {
      await this.audit.record(manager, {
        ...base,
        type: AUDIT_EVENT_TYPES.PASSKEY_REGISTRATION_REJECTED,
        outcome: 'FAILURE',
        details: { reason },
      });
      return { kind: 'retry-same-token', error: registrationRefused(), countAttempt: true };
    };
    if (new Date(stored.challengeExpiresAt ?? 0) <= this.clock.now()) return reject('challenge');
    if (challengeOf(input.credential) !== stored.passkeyChallenge) return reject('challenge');
    const registered = await this.relyingParty.verifyRegistration(input.credential, stored.passkeyChallenge);
    if (!registered) return reject('verification');
    const name = typeof input.name === 'string' && input.name.length > 0 ? input.name : 'Passkey';
    const passkeyId = await this.service.record(
      manager,
      { cupid, name, registered },
      { ...origin, contextId: state.context.id, clientId: state.client.clientId },
    );
    // A credential id registered already (to anyone): refused like any other defect, audited by record().
    if (!passkeyId) return { kind: 'retry-same-token', error: registrationRefused(), countAttempt: true };
    this.notifyLater(cupid, name);
    return { kind: 'passed', facts: { amr: [], passkeyEnrolment: 'created', passkeyId } };
  }

  /**
   * The notice leaves once this request's work is done (setImmediate: after the step's transaction has been handed
   * back), holding no connection; the registration is in the audit trail whatever happens to the notice. Should the
   * transaction roll back after all, the customer hears of a passkey that was not kept: the safe side.
   */
  private notifyLater(cupid: string, name: string): void {
    setImmediate(() => {
      this.service
        .notifyEnrolled(cupid, name)
        .catch((error: Error) => this.logger.warn({ error: error.name }, 'passkey enrolment notice failed'));
    });
  }
}
