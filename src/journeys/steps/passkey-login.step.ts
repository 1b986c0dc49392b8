import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { Clock } from '../../common/clock';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { DirectoryUser, UserDirectory } from '../../directory/user-directory.port';
import { PasskeysRepository } from '../../mfa/passkeys/passkeys.repository';
import { PasskeyRelyingParty } from '../../mfa/passkeys/relying-party';
import type { AuthContext } from '../auth-context.entity';
import {
  ContactRun,
  JourneyStep,
  PreparedStep,
  StepContact,
  StepOutcome,
  StepRun,
  stepAuditBase,
} from './journey-step';
import {
  checkAssertion,
  passkeyAmr,
  passkeyInvalid,
  PasskeyAssertionInput,
  passkeyPrepared,
  recordAssertion,
  VerifiedAssertion,
} from './passkey-assertion';

/**
 * Passwordless sign-in with a discoverable credential (POST /journeys with `method: passkey`): no username, no
 * password. The first answer carries request options with no allowCredentials, so the authenticator offers its
 * passkeys for this RP; the assertion names the credential, and the credential names the customer (its CUPID).
 * User verification is required: the passkey alone is then possession plus a PIN or biometric, which is why it
 * satisfies MFA (loa2) on its own. The assertion is checked in the first short transaction, the directory is
 * asked with no connection held (the account must still be enabled), and the use is recorded in the second,
 * conditionally: a revocation or another use in between wins.
 */
@Injectable()
export class PasskeyLoginStep extends JourneyStep<PasskeyAssertionInput> {
  readonly kind = 'PASSKEY_LOGIN' as const;
  readonly role = 'primary' as const;
  override readonly passwordless = true;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly passkeys: PasskeysRepository,
    private readonly relyingParty: PasskeyRelyingParty,
    private readonly directory: UserDirectory,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {
    super();
  }

  maxTries(): number {
    return this.config.otp.maxAttempts;
  }

  /** The options are in the journey's first answer: no database read (a journey start opens no transaction). */
  override async prepare(_context: AuthContext): Promise<PreparedStep> {
    return {
      ...(await passkeyPrepared(
        this.relyingParty,
        this.clock,
        this.config.webauthn.challengeTtlSeconds,
        null,
        'required',
      )),
      maxAttempts: this.maxTries(),
    };
  }

  override async begin(run: StepRun<PasskeyAssertionInput>): Promise<StepOutcome | StepContact | null> {
    // "Sign in with a passkey" from the password step: its token switches to this step, with fresh options.
    if (run.action === 'options') return { kind: 'continue', prepared: await this.prepare(run.state.context) };
    const deps = { passkeys: this.passkeys, relyingParty: this.relyingParty, audit: this.audit, clock: this.clock };
    const verified = await checkAssertion(run, deps, { cupid: null, requireUserVerification: true });
    if ('refused' in verified)
      return { kind: 'retry-same-token', error: verified.refused, countAttempt: verified.countAttempt };
    return { kind: 'contact', plan: verified };
  }

  /** The directory still decides who may sign in (a disabled or locked account is refused). */
  override async contact(run: ContactRun<PasskeyAssertionInput>): Promise<DirectoryUser | null> {
    return this.directory.findByCupid((run.plan as VerifiedAssertion).passkey.cupid);
  }

  async complete(run: StepRun<PasskeyAssertionInput>): Promise<StepOutcome> {
    const verified = run.plan as VerifiedAssertion;
    const user = run.evidence as DirectoryUser | null;
    const { passkey } = verified;
    if (user?.status !== 'ACTIVE') {
      await this.audit.record(run.manager, {
        ...stepAuditBase(run.state, run.origin),
        actor: { type: 'CUSTOMER', id: passkey.cupid },
        cupid: passkey.cupid,
        type: AUDIT_EVENT_TYPES.PASSKEY_REJECTED,
        outcome: 'FAILURE',
        details: {
          step: this.kind,
          reason: 'account_disabled',
          passkeyId: passkey.id,
          directoryStatus: user?.status ?? null,
        },
      });
      return { kind: 'retry-same-token', error: passkeyInvalid(), countAttempt: true };
    }
    const deps = { passkeys: this.passkeys, audit: this.audit, clock: this.clock };
    if (!(await recordAssertion(run, deps, verified)))
      return { kind: 'retry-same-token', error: passkeyInvalid(), countAttempt: true };
    return {
      kind: 'passed',
      facts: {
        amr: passkeyAmr(passkey, verified.userVerified),
        cupid: passkey.cupid,
        mfaRequired: user.mfaRequired,
        // Possession plus user verification: the journey's MFA requirement is met by this step alone.
        multiFactor: verified.userVerified,
        passkeyId: passkey.id,
      },
      transient: { user, accountFailures: 0 },
    };
  }
}
