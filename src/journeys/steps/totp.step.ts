import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { otpInvalid } from '../../mfa/mfa-errors';
import { MfaLockoutService } from '../../mfa/mfa-lockout.service';
import { TotpService } from '../../mfa/totp/totp.service';
import type { JourneyState } from '../policy';
import { JourneyStep, StepOutcome, StepRun, stepAuditBase } from './journey-step';
import { refuseWhileMfaLocked } from './mfa-lock';

export interface TotpInput {
  code?: string;
}

/**
 * Second factor: a code from the customer's authenticator app (TOTP, RFC 6238; issue 17 item 2), offered when
 * they have a confirmed one. Nothing is sent, so the step checks at once: each confirmed credential is tried, and
 * a match uses its time step in this transaction (a replayed code fails, on any instance). Wrong codes count
 * like SMS codes: per journey (OTP_MAX_ATTEMPTS) and per customer (the MFA lock).
 */
@Injectable()
export class TotpStep extends JourneyStep<TotpInput> {
  readonly kind = 'TOTP' as const;
  readonly role = 'second-factor' as const;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly totp: TotpService,
    private readonly audit: AuditService,
    private readonly mfaLockout: MfaLockoutService,
  ) {
    super();
  }

  maxTries(): number {
    return this.config.otp.maxAttempts;
  }

  override async availableFor(state: JourneyState): Promise<boolean> {
    const cupid = state.context.cupid;
    return cupid ? (await this.totp.listConfirmed(cupid)).length > 0 : false;
  }

  override async begin(run: StepRun<TotpInput>): Promise<StepOutcome | null> {
    return refuseWhileMfaLocked(this.mfaLockout, run, this.kind);
  }

  async complete(run: StepRun<TotpInput>): Promise<StepOutcome> {
    const { state, manager, origin, transaction } = run;
    const base = stepAuditBase(state, origin);
    const cupid = state.context.cupid!;
    const code = String(run.input.code ?? '');
    for (const credential of await this.totp.listConfirmed(cupid, manager)) {
      if (await this.totp.accept(manager, credential, code)) {
        await this.audit.record(manager, {
          ...base,
          type: AUDIT_EVENT_TYPES.TOTP_VERIFIED,
          outcome: 'SUCCESS',
          details: { credentialId: credential.id },
        });
        return { kind: 'passed', facts: { amr: ['otp'], secondFactor: true } };
      }
    }
    await this.audit.record(manager, {
      ...base,
      type: AUDIT_EVENT_TYPES.TOTP_REJECTED,
      outcome: 'FAILURE',
      details: { phase: 'login', attempt: transaction.attempts + 1, maxAttempts: transaction.maxAttempts },
    });
    const lockEngaged = await this.mfaLockout.recordWrongCode(manager, cupid, state.context.id, base);
    return { kind: 'retry-same-token', error: lockEngaged ?? otpInvalid(), countAttempt: true };
  }
}
