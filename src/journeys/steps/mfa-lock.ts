import type { MfaLockoutService } from '../../mfa/mfa-lockout.service';
import { stepAuditBase, StepOutcome, StepRun } from './journey-step';

/**
 * While the customer's MFA is locked (too many wrong codes), no second factor is sent or checked: the
 * same token gets 429 MFA_LOCKED with Retry-After, audited (mfa-lockout.service.ts). One rule for every
 * second-factor step.
 */
export async function refuseWhileMfaLocked(
  lockout: MfaLockoutService,
  run: StepRun<unknown>,
  step: string,
): Promise<StepOutcome | null> {
  const locked = await lockout.refusal(run.manager, run.state.context.cupid, stepAuditBase(run.state, run.origin), {
    step,
    action: run.action,
  });
  return locked ? { kind: 'retry-same-token', error: locked, countAttempt: false } : null;
}
