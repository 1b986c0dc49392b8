import { CanActivate, ExecutionContext, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { assuranceRank } from '../common/assurance';
import { Clock } from '../common/clock';
import { CustomerFactors } from '../common/customer-factors';
import { ApiError } from '../common/problem';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { isSessionLive, SessionsService } from '../sessions/sessions.service';
import type { CustomerRequest } from './customer-auth.guard';

/** 403 `STEP_UP_REQUIRED`: the session's last authentication is too weak or too old for a factor change. */
export class StepUpRequiredError extends ApiError {
  constructor(detail: string) {
    super(HttpStatus.FORBIDDEN, 'STEP_UP_REQUIRED', 'Fresh authentication required', detail);
  }
}

/**
 * Issue 17, item 5: enrolling or changing a factor under /me needs a fresh step-up, so a stolen access token
 * (or a session left open) cannot add the thief's own factor. The ONE place this rule lives; every /me factor
 * endpoint uses it after CustomerAuthGuard: `@UseGuards(CustomerAuthGuard, FreshAuthGuard)`.
 *
 * The session of the token must be live, at loa2 or above, with its auth_time (the time of its last
 * authentication, which a step-up renews: OIDC Core §2) within FACTOR_CHANGE_MAX_AGE_SECONDS. A customer with no
 * second factor at all (nothing listed by the factor sources) has nothing to step up with: a fresh password login
 * (loa1 within the same freshness) is enough for the first enrolment. Otherwise 403 STEP_UP_REQUIRED: the frontend
 * steps up (POST /me/step-up) or signs in again (prompt=login), then retries with the new token.
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
    if (ageSeconds > this.config.factorChange.maxAgeSeconds)
      throw new StepUpRequiredError(
        'Your last sign-in is too old to change your security settings: confirm it is you.',
      );
    const rank = assuranceRank(session.acr);
    if (rank >= 2) return true;
    if (rank === 1 && (await this.factors.list(customer.cupid)).length === 0) return true;
    throw new StepUpRequiredError('Changing your security settings needs a second factor: confirm it is you.');
  }
}
