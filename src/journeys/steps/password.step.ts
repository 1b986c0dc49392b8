import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { CredentialCheck, UserDirectory } from '../../directory/user-directory.port';
import { AccountUnavailableError, invalidCredentials, tooManyAttempts } from '../journey-errors';
import { LockoutService } from '../lockout/lockout.service';
import { ContactRun, JourneyStep, StepContact, StepOutcome, StepRun } from './journey-step';

export interface PasswordInput {
  username: string;
  password: string;
}

/**
 * Primary credentials against the directory. Every refusal looks the same to the caller (no hint that
 * the username exists), counts toward the account's and the IP's lockout, and is audited; a locked
 * account is refused before the directory is asked. The directory is asked between the engine's
 * database transactions (`contact`), never inside one.
 */
@Injectable()
export class PasswordStep extends JourneyStep<PasswordInput> {
  readonly kind = 'PASSWORD' as const;
  readonly role = 'primary' as const;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly directory: UserDirectory,
    private readonly lockout: LockoutService,
    private readonly audit: AuditService,
  ) {
    super();
  }

  maxTries(): number {
    return this.config.journeys.passwordAttemptsPerJourney;
  }

  /** The lockout is checked before the directory is asked. */
  override async begin({ state, input, origin, manager }: StepRun<PasswordInput>): Promise<StepOutcome | StepContact> {
    const username = input.username.trim();
    const lock = await this.lockout.check(manager, username, origin.ip);
    if (lock) {
      await this.audit.record(manager, {
        ...auditBase(state, origin), type: AUDIT_EVENT_TYPES.PASSWORD_REJECTED, outcome: 'FAILURE', actor: { type: 'CUSTOMER', id: null },
        details: { reason: 'locked_out', lockedSubject: lock.subject, retryAfterSeconds: lock.retryAfterSeconds },
      });
      return { kind: 'retry-new-token', error: tooManyAttempts(lock.retryAfterSeconds, {}) };
    }
    return { kind: 'contact', plan: null };
  }

  override contact({ input }: ContactRun<PasswordInput>): Promise<CredentialCheck> {
    return this.directory.verifyCredentials(input.username.trim(), input.password);
  }

  async complete({ state, input, origin, manager, evidence }: StepRun<PasswordInput>): Promise<StepOutcome> {
    const username = input.username.trim();
    const base = auditBase(state, origin);
    const check = evidence as CredentialCheck;
    if (!check.valid) {
      const failure = await this.lockout.recordFailure(manager, username, origin.ip);
      await this.audit.record(manager, {
        ...base, type: AUDIT_EVENT_TYPES.PASSWORD_REJECTED, outcome: 'FAILURE', actor: { type: 'CUSTOMER', id: check.user?.cupid ?? null },
        cupid: check.user?.cupid, details: { reason: 'invalid', consecutiveFailures: failure.accountFailures, knownCustomer: Boolean(check.user) },
      });
      for (const lockEngaged of failure.engaged) {
        await this.audit.record(manager, {
          ...base, type: AUDIT_EVENT_TYPES.LOCKOUT_ENGAGED, outcome: 'FAILURE', actor: { type: 'SYSTEM', id: 'lockout' }, cupid: check.user?.cupid,
          details: { subject: lockEngaged.subject, lockedUntil: lockEngaged.lockedUntil.toISOString(), failures: lockEngaged.failures },
        });
      }
      return { kind: 'retry-new-token', error: invalidCredentials({}) };
    }

    const { user } = check;
    if (user.status !== 'ACTIVE') {
      await this.audit.record(manager, {
        ...base, type: AUDIT_EVENT_TYPES.PASSWORD_REJECTED, outcome: 'FAILURE', actor: { type: 'CUSTOMER', id: user.cupid }, cupid: user.cupid,
        details: { reason: user.status === 'LOCKED' ? 'account_locked' : 'account_disabled' },
      });
      return { kind: 'failed', error: new AccountUnavailableError(), reason: `directory account ${user.status.toLowerCase()}` };
    }
    const failuresBefore = await this.lockout.recordSuccess(manager, username);
    await this.audit.record(manager, {
      ...base, type: AUDIT_EVENT_TYPES.PASSWORD_VERIFIED, outcome: 'SUCCESS', actor: { type: 'CUSTOMER', id: user.cupid }, cupid: user.cupid,
      details: { directory: this.directory.name },
    });
    return { kind: 'passed', facts: { amr: ['pwd'], cupid: user.cupid, mfaRequired: user.mfaRequired }, transient: { user, accountFailures: failuresBefore } };
  }
}

function auditBase(state: StepRun<PasswordInput>['state'], origin: StepRun<PasswordInput>['origin']) {
  return { contextId: state.context.id, clientId: state.client.clientId, ip: origin.ip, userAgent: origin.userAgent };
}
