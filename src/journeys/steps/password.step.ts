import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { sha256 } from '../../common/crypto';
import { verifySecret } from '../../common/passwords';
import { canonicalUsername } from '../../directory/username';
import { CredentialCheck, UserDirectory } from '../../directory/user-directory.port';
import { invalidCredentials, tooManyAttempts } from '../journey-errors';
import { AuthContextsRepository } from '../auth-contexts.repository';
import { LockoutService } from '../lockout/lockout.service';
import { ContactRun, JourneyStep, StepContact, StepOutcome, StepRun } from './journey-step';

export interface PasswordInput {
  username: string;
  password: string;
  /** Device hints from a browser whose journey /oauth2/authorize opened (the hosted login page's key). */
  device?: { deviceId?: string; bind?: boolean; keyThumbprint?: string };
}

/**
 * Primary credentials against the directory. Every refusal looks the same to the caller (no hint that
 * the username exists, nor that the password was right for an account that is locked or disabled): the
 * same directory work, status, body and lockout counting, while the audit trail keeps the truth
 * (ASVS 6.3.8, 6.3.1; issue 12). A locked address is refused before the directory is asked; an account's
 * lock is checked once the directory has said which entry the username is, so every spelling of one
 * account shares one counter (lockout.service.ts). The directory is asked between the engine's
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
    private readonly contexts: AuthContextsRepository,
  ) {
    super();
  }

  maxTries(): number {
    return this.config.journeys.passwordAttemptsPerJourney;
  }

  /** The usual way: no lock on the address, so straight to the directory, with no transaction opened before it. */
  override async precheck({ origin, manager }: StepRun<PasswordInput>): Promise<StepContact | null> {
    return (await this.lockout.checkAddress(manager, origin.ip)) ? null : { kind: 'contact', plan: null };
  }

  /** The address's lock is checked before the directory is asked (the account's needs the directory's answer). */
  override async begin({ state, origin, manager }: StepRun<PasswordInput>): Promise<StepOutcome | StepContact> {
    const addressLock = await this.lockout.checkAddress(manager, origin.ip);
    if (addressLock) {
      await this.audit.record(manager, {
        ...auditBase(state, origin),
        type: AUDIT_EVENT_TYPES.PASSWORD_REJECTED,
        outcome: 'FAILURE',
        actor: { type: 'CUSTOMER', id: null },
        details: {
          reason: 'locked_out',
          lockedSubject: addressLock.subject,
          retryAfterSeconds: addressLock.retryAfterSeconds,
        },
      });
      return { kind: 'retry-new-token', error: tooManyAttempts(addressLock.retryAfterSeconds, {}) };
    }
    return { kind: 'contact', plan: null };
  }

  /** A username no directory can hold is refused without asking one, after the same password hashing work. */
  override async contact({ input }: ContactRun<PasswordInput>): Promise<CredentialCheck> {
    const username = input.username.trim();
    return canonicalUsername(username)
      ? this.directory.verifyCredentials(username, input.password)
      : refuseUnholdable(input.password);
  }

  async complete({ state, input, origin, manager, evidence }: StepRun<PasswordInput>): Promise<StepOutcome> {
    const username = input.username.trim();
    const base = auditBase(state, origin);
    const check = evidence as CredentialCheck;
    const canonical = canonicalUsername(username);
    const user = check.user ?? null;
    const subject = user
      ? LockoutService.customerSubject(user.cupid)
      : LockoutService.accountSubject(canonical ?? `#${sha256(username).toString('hex')}`);
    const actor = { type: 'CUSTOMER' as const, id: user?.cupid ?? null };
    // The truth for the audit trail only: the caller hears the same whatever it is.
    const truth = {
      passwordMatched: check.valid,
      knownCustomer: Boolean(user),
      ...(user && user.status !== 'ACTIVE' ? { directoryStatus: user.status } : {}),
    };

    const succeeded = check.valid && user?.status === 'ACTIVE';
    // A success checks the account's lock and clears its failures in one statement; a failure checks first.
    const success = succeeded ? await this.lockout.succeedUnlessLocked(manager, subject) : null;
    const accountLock =
      success && 'lock' in success ? success.lock : success ? null : await this.lockout.checkAccount(manager, subject);
    if (accountLock) {
      await this.audit.record(manager, {
        ...base,
        type: AUDIT_EVENT_TYPES.PASSWORD_REJECTED,
        outcome: 'FAILURE',
        actor,
        cupid: user?.cupid,
        details: {
          reason: 'locked_out',
          lockedSubject: accountLock.subject,
          retryAfterSeconds: accountLock.retryAfterSeconds,
          ...truth,
        },
      });
      return { kind: 'retry-new-token', error: tooManyAttempts(accountLock.retryAfterSeconds, {}) };
    }

    if (!succeeded || !user) {
      // A right password on a locked or disabled entry is a failure like any other: same answer, same count.
      const reason = !check.valid ? 'invalid' : user?.status === 'LOCKED' ? 'account_locked' : 'account_disabled';
      const failure = await this.lockout.recordFailure(manager, subject, origin.ip);
      await this.audit.record(manager, {
        ...base,
        type: AUDIT_EVENT_TYPES.PASSWORD_REJECTED,
        outcome: 'FAILURE',
        actor,
        cupid: user?.cupid,
        details: { reason, consecutiveFailures: failure.accountFailures, ...truth },
      });
      for (const lockEngaged of failure.engaged) {
        await this.audit.record(manager, {
          ...base,
          type: AUDIT_EVENT_TYPES.LOCKOUT_ENGAGED,
          outcome: 'FAILURE',
          actor: { type: 'SYSTEM', id: 'lockout' },
          cupid: user?.cupid,
          details: {
            subject: lockEngaged.subject,
            lockedUntil: lockEngaged.lockedUntil.toISOString(),
            failures: lockEngaged.failures,
          },
        });
      }
      return { kind: 'retry-new-token', error: invalidCredentials({}) };
    }

    const failuresBefore = success && 'failuresBefore' in success ? success.failuresBefore : 0;
    await attachDeviceHints(state, input, manager, this.contexts);
    await this.audit.record(manager, {
      ...base,
      type: AUDIT_EVENT_TYPES.PASSWORD_VERIFIED,
      outcome: 'SUCCESS',
      actor,
      cupid: user.cupid,
      details: { directory: this.directory.name },
    });
    return {
      kind: 'passed',
      facts: { amr: ['pwd'], cupid: user.cupid, mfaRequired: user.mfaRequired },
      transient: { user, accountFailures: failuresBefore },
    };
  }
}

function auditBase(state: StepRun<PasswordInput>['state'], origin: StepRun<PasswordInput>['origin']) {
  return { contextId: state.context.id, clientId: state.client.clientId, ip: origin.ip, userAgent: origin.userAgent };
}

/**
 * A journey opened by /oauth2/authorize knows nothing of the browser's device (the relying party started it);
 * the login page says it with the password: its bound key's thumbprint (DEVICE_PROOF is then offered) or the
 * wish to bind this browser (which still needs a second factor). Recorded only once the password is right, only
 * where the start left them unset, and before policy looks at them.
 */
async function attachDeviceHints(
  state: StepRun<PasswordInput>['state'],
  input: PasswordInput,
  manager: StepRun<PasswordInput>['manager'],
  contexts: AuthContextsRepository,
): Promise<void> {
  const hints = input.device;
  if (!hints) return;
  const context = state.context;
  const update = {
    deviceId: context.deviceId ? undefined : hints.deviceId,
    bindDevice: hints.bind === true && !context.bindDevice,
    deviceKeyThumbprint: context.deviceKeyThumbprint ? undefined : hints.keyThumbprint,
  };
  if (!update.deviceId && !update.bindDevice && !update.deviceKeyThumbprint) return;
  await contexts.attachDevice(manager, context.id, update);
  if (update.deviceId) context.deviceId = update.deviceId;
  if (update.bindDevice) context.bindDevice = true;
  if (update.deviceKeyThumbprint) context.deviceKeyThumbprint = update.deviceKeyThumbprint;
}

/** The argon2id work of a real check, against a hash nobody knows; always a refusal. */
async function refuseUnholdable(password: string): Promise<CredentialCheck> {
  await verifySecret(null, password);
  return { valid: false };
}
