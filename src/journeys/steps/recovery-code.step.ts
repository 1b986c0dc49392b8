import { Inject, Injectable, Logger } from '@nestjs/common';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { CustomerNotifier } from '../../common/customer-notifier';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { otpInvalid } from '../../mfa/mfa-errors';
import { MfaLockoutService } from '../../mfa/mfa-lockout.service';
import { RecoveryCodesService } from '../../mfa/recovery-codes/recovery-codes.service';
import type { JourneyState } from '../policy';
import { JourneyStep, StepOutcome, StepRun, stepAuditBase } from './journey-step';
import { refuseWhileMfaLocked } from './mfa-lock';

export interface RecoveryCodeInput {
  code?: string;
}

/**
 * Second factor: one of the customer's recovery codes (issue 17, item 4), offered while they have unused ones.
 * The code is used in this transaction (a conditional UPDATE: of two journeys with the same code, one passes).
 * Wrong codes count like one-time codes (per journey and the per-customer MFA lock). A use is audited and the
 * customer notified on another channel: after the request's transaction, never inside it (a notice is a
 * network call; see `notifyLater`).
 */
@Injectable()
export class RecoveryCodeStep extends JourneyStep<RecoveryCodeInput> {
  readonly kind = 'RECOVERY_CODE' as const;
  readonly role = 'second-factor' as const;
  private readonly logger = new Logger(RecoveryCodeStep.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly codes: RecoveryCodesService,
    private readonly audit: AuditService,
    private readonly mfaLockout: MfaLockoutService,
    private readonly notifier: CustomerNotifier,
  ) {
    super();
  }

  maxTries(): number {
    return this.config.otp.maxAttempts;
  }

  override async availableFor(state: JourneyState): Promise<boolean> {
    const cupid = state.context.cupid;
    return cupid ? (await this.codes.summary(cupid)) !== null : false;
  }

  override async begin(run: StepRun<RecoveryCodeInput>): Promise<StepOutcome | null> {
    return refuseWhileMfaLocked(this.mfaLockout, run, this.kind);
  }

  async complete(run: StepRun<RecoveryCodeInput>): Promise<StepOutcome> {
    const { state, manager, origin, transaction } = run;
    const base = stepAuditBase(state, origin);
    const cupid = state.context.cupid!;
    const used = await this.codes.use(manager, cupid, String(run.input.code ?? ''));
    if (used) {
      await this.audit.record(manager, {
        ...base,
        type: AUDIT_EVENT_TYPES.RECOVERY_CODE_USED,
        outcome: 'SUCCESS',
        details: { codesLeft: used.left },
      });
      this.notifyLater(cupid, used.left);
      return { kind: 'passed', facts: { amr: ['otp'], secondFactor: true } };
    }
    await this.audit.record(manager, {
      ...base,
      type: AUDIT_EVENT_TYPES.RECOVERY_CODE_REJECTED,
      outcome: 'FAILURE',
      details: { attempt: transaction.attempts + 1, maxAttempts: transaction.maxAttempts },
    });
    const lockEngaged = await this.mfaLockout.recordWrongCode(manager, cupid, state.context.id, base);
    return { kind: 'retry-same-token', error: lockEngaged ?? otpInvalid(), countAttempt: true };
  }

  /**
   * The notice leaves once this request's work is done (setImmediate: after the step's transaction has been
   * handed back), holding no connection; the use is in the audit trail whatever happens to the notice. Should the
   * transaction roll back after all, the customer gets a notice of a use that did not count: the safe side.
   */
  private notifyLater(cupid: string, left: number): void {
    setImmediate(() => {
      this.notifier
        .notify(cupid, 'recovery_code.used', { left: String(left) })
        .catch((error: Error) => this.logger.warn({ error: error.name }, 'recovery code notice failed'));
    });
  }
}
