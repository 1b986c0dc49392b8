import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { hmacSha256 } from '../../common/crypto';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { canonicalUsername } from '../../directory/username';
import { DirectoryUser, UserDirectory } from '../../directory/user-directory.port';
import { KEY_ENCRYPTION_KEY } from '../../keys/key-encryption-key';
import type { KeyEncryptionKey } from '../../keys/key-encryption-key';
import { tooManyAttempts } from '../journey-errors';
import { LockoutService } from '../lockout/lockout.service';
import { ContactRun, JourneyStep, StepContact, StepOutcome, StepRun } from './journey-step';

export interface ResetUsernameInput {
  username: string;
}

/** The prefix of a stand-in CUPID: no directory entry has one (a directory CUPID is never looked up with it). */
export const DECOY_CUPID_PREFIX = 'unknown-';

/**
 * The first step of a forgot-password journey (issue 17, item 6): the username alone. It never says whether the
 * account exists (ASVS 6.3.8): an unknown username, or an entry that cannot sign in, passes like a real one, with a
 * stand-in CUPID derived from the username under a server key (the same for every journey that names it, so the
 * per-customer MFA lock counts its wrong codes as it would a real customer's), and the journey offers it the same
 * factors. No factor can ever pass for it (no phone, no authenticator, no codes), so it never reaches
 * SET_PASSWORD. Starts are rate limited per address like passwords (LockoutService.recordAddressAttempt); the
 * directory is asked between the engine's transactions, never inside one. The audit trail keeps the truth.
 */
@Injectable()
export class ResetUsernameStep extends JourneyStep<ResetUsernameInput> {
  readonly kind = 'RESET_USERNAME' as const;
  readonly role = 'reset-identify' as const;
  private readonly decoyKey: Buffer;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KEY_ENCRYPTION_KEY) kek: KeyEncryptionKey,
    private readonly directory: UserDirectory,
    private readonly lockout: LockoutService,
    private readonly audit: AuditService,
  ) {
    super();
    this.decoyKey = hmacSha256(kek.key, 'ciam:reset-decoy-cupid:v1');
  }

  maxTries(): number {
    return this.config.journeys.passwordAttemptsPerJourney;
  }

  override async begin({ state, origin, manager }: StepRun<ResetUsernameInput>): Promise<StepOutcome | StepContact> {
    const base = auditBase(state, origin);
    const addressLock = await this.lockout.checkAddress(manager, origin.ip);
    if (addressLock) {
      await this.audit.record(manager, {
        ...base,
        type: AUDIT_EVENT_TYPES.PASSWORD_RESET_STARTED,
        outcome: 'FAILURE',
        actor: { type: 'CUSTOMER', id: null },
        details: { reason: 'locked_out', retryAfterSeconds: addressLock.retryAfterSeconds },
      });
      return { kind: 'retry-new-token', error: tooManyAttempts(addressLock.retryAfterSeconds, {}) };
    }
    for (const engaged of await this.lockout.recordAddressAttempt(manager, origin.ip))
      await this.audit.record(manager, {
        ...base,
        type: AUDIT_EVENT_TYPES.LOCKOUT_ENGAGED,
        outcome: 'FAILURE',
        actor: { type: 'SYSTEM', id: 'lockout' },
        details: {
          subject: engaged.subject,
          lockedUntil: engaged.lockedUntil.toISOString(),
          failures: engaged.failures,
        },
      });
    return { kind: 'contact', plan: null };
  }

  /** One directory search, whatever the username; one no directory can hold is not looked up. */
  override async contact({ input }: ContactRun<ResetUsernameInput>): Promise<DirectoryUser | null> {
    const username = String(input.username ?? '').trim();
    return canonicalUsername(username) ? this.directory.findByUsername(username) : null;
  }

  async complete({ state, input, origin, manager, evidence }: StepRun<ResetUsernameInput>): Promise<StepOutcome> {
    const user = (evidence as DirectoryUser | null) ?? null;
    const username = String(input.username ?? '').trim();
    const eligible = user?.status === 'ACTIVE';
    const cupid = eligible ? user.cupid : this.decoyCupid(canonicalUsername(username) ?? username);
    await this.audit.record(manager, {
      ...auditBase(state, origin),
      type: AUDIT_EVENT_TYPES.PASSWORD_RESET_STARTED,
      outcome: 'SUCCESS',
      actor: { type: 'CUSTOMER', id: user?.cupid ?? null },
      cupid: user?.cupid,
      details: {
        knownCustomer: Boolean(user),
        ...(user && !eligible ? { directoryStatus: user.status } : {}),
      },
    });
    return {
      kind: 'passed',
      facts: { amr: [], cupid, ...(eligible ? {} : { resetDecoy: true }) },
      transient: { user: eligible ? user : null },
    };
  }

  private decoyCupid(username: string): string {
    return `${DECOY_CUPID_PREFIX}${hmacSha256(this.decoyKey, username).toString('hex').slice(0, 40)}`;
  }
}

function auditBase(state: StepRun<ResetUsernameInput>['state'], origin: StepRun<ResetUsernameInput>['origin']) {
  return { contextId: state.context.id, clientId: state.client.clientId, ip: origin.ip, userAgent: origin.userAgent };
}
