import { OutboxService } from '../outbox/outbox.service';
import { securityEventMessage, SET_EVENT_TYPES } from '../outbox/security-events';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import type { AuditActorType } from '../audit/audit-events';
import { AuditEvent, AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { ApiError } from '../common/problem';
import type { RequestOrigin } from '../common/request-origin';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { MfaLockoutRepository } from './mfa-lockout.repository';

export const mfaLocked = (retryAfterSeconds: number) =>
  new ApiError(
    HttpStatus.TOO_MANY_REQUESTS,
    'MFA_LOCKED',
    'Second factor locked',
    'Too many wrong codes recently. Try again later, or contact support.',
    {},
    retryAfterSeconds,
  );

/** What an agent sees of a customer's MFA lock. */
export interface MfaStanding {
  cupid: string;
  locked: boolean;
  lockedUntil: Date | null;
  /** Wrong codes that count now (within the window, since the last clearance). */
  failuresInWindow: number;
  limit: number;
  windowSeconds: number;
  lastLockedAt: Date | null;
  clearedAt: Date | null;
  clearedBy: string | null;
}

/** The audit fields of the step that asks (customer, journey, client, origin). */
type StepAuditBase = Omit<AuditEvent, 'type' | 'outcome' | 'details'>;

/**
 * Wrong one-time codes per customer, across journeys and instances (SECURITY-DEFAULTS.md: 10 per CUPID in
 * 24 hours lock MFA for 15 minutes; ASVS 6.3.1, NIST 800-63B §5.2.2 rate limiting). Per-journey attempts
 * stop one journey; this stops an attacker who has the password from starting journey after journey to
 * guess codes. While locked, every second factor is refused before it is checked (no oracle: a right
 * code is refused like a wrong one). Once the lock has passed, each further wrong code within the window
 * locks again, so the window allows at most `limit` + one guess per lock period. An agent can lift the
 * lock, which also clears the count.
 */
@Injectable()
export class MfaLockoutService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly locks: MfaLockoutRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly outbox: OutboxService,
  ) {}

  /** The refusal a second factor answers with while the customer's MFA is locked (audited), or null. */
  async refusal(
    manager: EntityManager,
    cupid: string | null,
    base: StepAuditBase,
    attempt: { step: string; action: string },
  ): Promise<ApiError | null> {
    if (!cupid) return null;
    const lock = await this.locks.find(manager, cupid);
    const now = this.clock.now();
    if (!lock?.lockedUntil || lock.lockedUntil <= now) return null;
    const retryAfterSeconds = Math.max(1, Math.ceil((lock.lockedUntil.getTime() - now.getTime()) / 1000));
    await this.audit.record(manager, {
      ...base,
      type: AUDIT_EVENT_TYPES.MFA_REFUSED_LOCKED,
      outcome: 'FAILURE',
      details: { ...attempt, retryAfterSeconds },
    });
    return mfaLocked(retryAfterSeconds);
  }

  /** One wrong code; returns the refusal when it engaged the lock (audited), null otherwise. */
  async recordWrongCode(
    manager: EntityManager,
    cupid: string,
    contextId: string | null,
    base: StepAuditBase,
  ): Promise<ApiError | null> {
    const {
      customerFailureLimit: limit,
      customerFailureWindowSeconds: windowSeconds,
      customerLockSeconds,
    } = this.config.otp;
    const now = this.clock.now();
    await this.locks.lockForUpdate(manager, cupid);
    await this.locks.recordFailure(manager, { cupid, contextId, at: now });
    const failures = await this.locks.countSince(manager, cupid, new Date(now.getTime() - windowSeconds * 1000));
    if (failures < limit) return null;
    const until = new Date(now.getTime() + customerLockSeconds * 1000);
    await this.locks.lock(manager, cupid, { at: now, until, failures });
    await this.audit.record(manager, {
      ...base,
      type: AUDIT_EVENT_TYPES.MFA_LOCKED,
      outcome: 'FAILURE',
      actor: { type: 'SYSTEM', id: 'mfa-lockout' },
      details: { failures, windowSeconds, lockedUntil: until.toISOString() },
    });
    return mfaLocked(customerLockSeconds);
  }

  async standing(cupid: string): Promise<MfaStanding> {
    const manager = this.dataSource.manager;
    const now = this.clock.now();
    const { customerFailureLimit: limit, customerFailureWindowSeconds: windowSeconds } = this.config.otp;
    const lock = await this.locks.find(manager, cupid);
    const failuresInWindow = await this.locks.countSince(
      manager,
      cupid,
      new Date(now.getTime() - windowSeconds * 1000),
    );
    const locked = Boolean(lock?.lockedUntil && lock.lockedUntil > now);
    return {
      cupid,
      locked,
      lockedUntil: locked ? lock!.lockedUntil : null,
      failuresInWindow,
      limit,
      windowSeconds,
      lastLockedAt: lock?.lockedAt ?? null,
      clearedAt: lock?.clearedAt ?? null,
      clearedBy: lock?.clearedBy ?? null,
    };
  }

  /** An agent lifts the lock and clears the count, with a reason (audited in the same transaction). */
  async unlock(
    cupid: string,
    by: { type: AuditActorType; id: string },
    reason: string,
    origin: Partial<RequestOrigin> = {},
  ): Promise<MfaStanding> {
    await this.dataSource.transaction(async (tx) => {
      const now = this.clock.now();
      const lock = await this.locks.lockForUpdate(tx, cupid);
      const wasLocked = Boolean(lock.lockedUntil && lock.lockedUntil > now);
      await this.locks.clear(tx, cupid, { at: now, by: `${by.type}:${by.id}`, reason });
      await this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.MFA_UNLOCKED,
        outcome: 'SUCCESS',
        actor: by,
        cupid,
        ip: origin.ip,
        userAgent: origin.userAgent,
        details: { reason, wasLocked },
      });
      // Shared Signals: the MFA reset (the one-time-code factor usable again) as CAEP credential-change, update.
      await this.outbox.enqueue(tx, [
        securityEventMessage({
          type: SET_EVENT_TYPES.CREDENTIAL_CHANGE,
          cupid,
          occurredAt: now,
          claims: {
            change_type: 'update',
            credential_type: 'phone-sms',
            initiating_entity: by.type === 'AGENT' ? 'admin' : 'system',
          },
        }),
      ]);
    });
    return this.standing(cupid);
  }
}
