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
    super(HttpStatus.FORBIDDEN, 'STEP_UP_REQUIRED', 'Step-up required', detail);
  }
}

/**
 * Issue 17, item 5: enrolling or changing a factor under /me needs a fresh step-up, so a stolen access token
 * (or an unattended signed-in browser) cannot swap the second factor out. The session of the token must be at
 * urn:ciam:loa:2 or above with its last authentication (auth_time, which a step-up renews) within
 * FACTOR_CHANGE_MAX_AGE_SECONDS. A customer with no second factor at all yet (first enrolment) has nothing to
 * step up with: a fresh password login (loa1 within the same freshness) is enough for them.
 * Runs after CustomerAuthGuard (method guards run after the controller's).
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
    const { cupid, sessionId } = context.switchToHttp().getRequest<CustomerRequest>().customer;
    const now = this.clock.now();
    const session = await this.sessions.findById(sessionId);
    if (!session || session.cupid !== cupid || !isSessionLive(session, now))
      throw new StepUpRequiredError('The session of this token has ended: sign in again.');
    const maxAgeMs = this.config.factors.changeMaxAgeSeconds * 1000;
    const fresh = now.getTime() - session.authTime.getTime() <= maxAgeMs;
    const rank = assuranceRank(session.acr);
    if (fresh && rank >= 2) return true;
    if (fresh && rank >= 1 && (await this.factors.list(cupid)).length === 0) return true;
    throw new StepUpRequiredError(
      `Changing factors needs an authentication at urn:ciam:loa:2 within the last ${this.config.factors.changeMaxAgeSeconds} seconds: step up (POST /me/step-up) and retry.`,
    );
  }
}
