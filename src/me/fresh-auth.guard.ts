import { CanActivate, ExecutionContext, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { assuranceRank } from '../common/assurance';
import { Clock } from '../common/clock';
import { CustomerFactors } from '../common/customer-factors';
import { ApiError } from '../common/problem';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { isSessionLive, SessionsService } from '../sessions/sessions.service';
import type { CustomerRequest } from './customer-auth.guard';

export class StepUpRequiredError extends ApiError {
  constructor(detail: string) {
    super(HttpStatus.FORBIDDEN, 'STEP_UP_REQUIRED', 'Fresh step-up required', detail);
  }
}

/**
 * Enrolling or changing a factor under /me needs a fresh, strong sign-in (issue 17, item 5; NIST 800-63B
 * §6.1.2.1, ASVS 6.4.4): the session of the bearer token at loa2 or above, authenticated (its auth_time, which a
 * step-up renews) within FACTOR_CHANGE_MAX_AGE_SECONDS. A customer with no factor yet (first enrolment) may
 * enrol after a fresh password sign-in (loa1 within the same freshness): there is no second factor to ask.
 * Otherwise 403 STEP_UP_REQUIRED: the frontend runs POST /me/step-up and retries with the new token.
 * Runs after CustomerAuthGuard (method-level guards run after the controller's).
 */
@Injectable()
export class FreshAuthGuard implements CanActivate {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessions: SessionsService,
    private readonly factors: CustomerFactors,
    private readonly clock: Clock,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { customer } = context.switchToHttp().getRequest<CustomerRequest>();
    const now = this.clock.now();
    const session = await this.sessions.findById(customer.sessionId);
    if (!session || session.cupid !== customer.cupid || !isSessionLive(session, now))
      throw new StepUpRequiredError('The session of this token has ended: sign in again.');
    const ageSeconds = (now.getTime() - session.authTime.getTime()) / 1000;
    if (ageSeconds > this.config.factorChanges.maxAgeSeconds)
      throw new StepUpRequiredError('The last sign-in is too old to change factors: step up first.');
    if (assuranceRank(session.acr) >= 2) return true;
    const existing = await this.factors.list(customer.cupid);
    if (existing.length === 0) return true;
    throw new StepUpRequiredError('Changing factors needs a second factor in this session: step up first.');
  }
}
