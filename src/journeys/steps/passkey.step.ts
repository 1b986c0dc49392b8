import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { MfaLockoutService } from '../../mfa/mfa-lockout.service';
import { PasskeysRepository } from '../../mfa/passkeys/passkeys.repository';
import { PasskeyRelyingParty } from '../../mfa/passkeys/relying-party';
import type { JourneyState } from '../policy';
import { JourneyStep, StepOutcome, StepRun } from './journey-step';
import { refuseWhileMfaLocked } from './mfa-lock';
import {
  checkAssertion,
  passkeyAmr,
  passkeyInvalid,
  PasskeyAssertionInput,
  passkeyPrepared,
  recordAssertion,
} from './passkey-assertion';

/**
 * Second factor by a passkey of this customer. Two actions on the journey's transaction: `options` (chosen
 * among the offered factors: answers the WebAuthn request options, their challenge kept on the new transaction
 * row, so it is single use with that token and expires with WEBAUTHN_CHALLENGE_TTL_SECONDS) and `verify` (the
 * assertion). Level: loa2, never loa3. A passkey proves possession of a key bound to this site (phishing
 * resistant), and with user verification also a PIN or biometric; but the authenticator shows nothing of a
 * transaction, so it cannot approve one (dynamic linking, PSD2 RTS Art. 5): `bindsTransaction` stays false.
 * In a forgot-password journey (issue 17, item 6) the options list no credentials (discoverable), whatever the
 * account holds; the assertion is checked against the CUPID the username resolved to, as ever.
 */
@Injectable()
export class PasskeyStep extends JourneyStep<PasskeyAssertionInput> {
  readonly kind = 'PASSKEY' as const;
  readonly role = 'second-factor' as const;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly passkeys: PasskeysRepository,
    private readonly relyingParty: PasskeyRelyingParty,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly mfaLockout: MfaLockoutService,
  ) {
    super();
  }

  maxTries(): number {
    return this.config.otp.maxAttempts;
  }

  override async availableFor(state: JourneyState): Promise<boolean> {
    return !!state.context.cupid && (await this.passkeys.hasActive(state.db, state.context.cupid));
  }

  /**
   * While the customer's MFA is locked, no second factor is offered or checked (one rule for every second-factor
   * step). A refused assertion is not a wrong code, though: a passkey cannot be guessed, so it adds nothing to
   * the count that locks MFA.
   */
  override async begin(run: StepRun<PasskeyAssertionInput>): Promise<StepOutcome | null> {
    return refuseWhileMfaLocked(this.mfaLockout, run, this.kind);
  }

  async complete(run: StepRun<PasskeyAssertionInput>): Promise<StepOutcome> {
    const cupid = run.state.context.cupid;
    if (!cupid) return { kind: 'retry-same-token', error: passkeyInvalid(), countAttempt: true };
    if (run.action === 'options') {
      // A forgot-password journey must not tell whether the named account has passkeys (ASVS 6.3.8): no
      // allowCredentials there (a discoverable credential); the assertion must still be of this CUPID's, so a
      // stand-in CUPID (an unknown username) gets the same options and every assertion fails.
      const reset = run.state.context.options?.purpose === 'password_reset';
      const allow = reset ? null : await this.passkeys.listActive(cupid, run.manager);
      return {
        kind: 'continue',
        prepared: {
          ...(await passkeyPrepared(
            this.relyingParty,
            this.clock,
            this.config.webauthn.challengeTtlSeconds,
            allow,
            'preferred',
            'ASSERT',
          )),
          maxAttempts: this.maxTries(),
        },
      };
    }
    const deps = { passkeys: this.passkeys, relyingParty: this.relyingParty, audit: this.audit, clock: this.clock };
    const verified = await checkAssertion(run, deps, { cupid, requireUserVerification: false });
    if ('refused' in verified)
      return { kind: 'retry-same-token', error: verified.refused, countAttempt: verified.countAttempt };
    if (!(await recordAssertion(run, deps, verified)))
      return { kind: 'retry-same-token', error: passkeyInvalid(), countAttempt: true };
    return {
      kind: 'passed',
      facts: {
        amr: passkeyAmr(verified.passkey, verified.userVerified),
        secondFactor: true,
        passkeyId: verified.passkey.id,
      },
    };
  }
}
