import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { CustomerFactors } from '../common/customer-factors';
import type { CustomerFactorSummary } from '../common/customer-factors';
import { CustomerNotifier } from '../common/customer-notifier';
import { ApiError } from '../common/problem';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { LockoutService } from '../journeys/lockout/lockout.service';
import type { AccountStanding } from '../journeys/lockout/lockout.service';
import { FactorsService } from '../me/factors.service';
import type { AgentAction } from './agent-support.service';
import { AgentSupportService } from './agent-support.service';
import { FactorResetsRepository } from './factor-resets.repository';
import type { FactorResetRow } from './factor-resets.repository';

/** A pending reset waits this long for its second agent. */
const APPROVAL_WINDOW_MS = 24 * 3600 * 1000;

export class FactorResetNotPendingError extends ApiError {
  constructor() {
    super(
      HttpStatus.CONFLICT,
      'FACTOR_RESET_NOT_PENDING',
      'No reset to approve',
      'This reset is unknown, already applied or expired, or it was asked for by the approving agent.',
    );
  }
}

export interface FactorResetOutcome {
  reset: FactorResetRow;
  /** Factors revoked per kind; empty while the reset waits for approval. */
  revoked: Record<string, number>;
}

/**
 * Support tools for a customer who lost their factors or locked themselves out (issue 17, item 7): list and
 * remove factors, reset every revocable second factor (with a second agent's approval where configured), see
 * and clear the password lockout. Each action is audited with the agent and the reason, and told to the customer.
 */
@Injectable()
export class AgentRecoveryService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly registry: CustomerFactors,
    private readonly factors: FactorsService,
    private readonly notifier: CustomerNotifier,
    private readonly support: AgentSupportService,
    private readonly lockout: LockoutService,
    private readonly resets: FactorResetsRepository,
  ) {}

  async factorsOf(cupid: string, action: AgentAction): Promise<CustomerFactorSummary[]> {
    const factors = await this.factors.list(cupid);
    await this.support.recordView(cupid, 'factors', action);
    return factors;
  }

  removeFactor(cupid: string, kind: string, id: string, action: AgentAction): Promise<void> {
    return this.factors.remove(cupid, kind, id, action.agent, action.reason, action.origin);
  }

  /** Applies at once, or waits for a second agent when FACTOR_RESET_APPROVAL=two-agents. */
  async requestReset(cupid: string, action: AgentAction): Promise<FactorResetOutcome> {
    const now = this.clock.now();
    const applied = this.config.factors.resetApproval === 'none';
    const reset = await this.dataSource.transaction(async (tx) => {
      const row = await this.resets.insert(tx, {
        cupid,
        reason: action.reason,
        requestedBy: action.agent.id,
        at: now,
        expiresAt: new Date(now.getTime() + APPROVAL_WINDOW_MS),
        applied,
      });
      if (!applied)
        await this.audit.record(tx, {
          type: AUDIT_EVENT_TYPES.FACTORS_RESET_REQUESTED,
          outcome: 'SUCCESS',
          actor: action.agent,
          cupid,
          ip: action.origin.ip,
          userAgent: action.origin.userAgent,
          details: { resetId: row.id, reason: action.reason },
        });
      return row;
    });
    if (!applied) return { reset, revoked: {} };
    return { reset, revoked: await this.apply(reset, action) };
  }

  /** A second, different agent approves a pending reset; it applies then (once, whoever races). */
  async approveReset(cupid: string, resetId: string, action: AgentAction): Promise<FactorResetOutcome> {
    const reset = await this.dataSource.transaction((tx) =>
      this.resets.approve(tx, cupid, resetId, action.agent.id, this.clock.now()),
    );
    if (!reset) throw new FactorResetNotPendingError();
    return { reset, revoked: await this.apply(reset, action) };
  }

  /**
   * Revokes every revocable factor of every source, outside any transaction (a source may call its own
   * dependencies); the reset row was claimed first, so it applies once. Each source records its own revocations.
   */
  private async apply(reset: FactorResetRow, action: AgentAction): Promise<Record<string, number>> {
    const by = { type: 'agent' as const, id: action.agent.id };
    const revoked: Record<string, number> = {};
    for (const source of this.registry.all()) {
      revoked[source.kind] = await source.revokeAll(reset.cupid, by, reset.reason);
    }
    await this.dataSource.transaction((tx) =>
      this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.FACTORS_RESET,
        outcome: 'SUCCESS',
        actor: action.agent,
        cupid: reset.cupid,
        ip: action.origin.ip,
        userAgent: action.origin.userAgent,
        details: {
          resetId: reset.id,
          reason: reset.reason,
          requestedBy: reset.requested_by,
          ...(reset.approved_by ? { approvedBy: reset.approved_by } : {}),
          revoked,
        },
      }),
    );
    await this.notifier.notify(reset.cupid, 'factors.reset', {});
    return revoked;
  }

  async lockoutOf(cupid: string, action: AgentAction): Promise<AccountStanding> {
    const standing = await this.lockout.accountStanding(this.dataSource.manager, cupid);
    await this.support.recordView(cupid, 'lockout', action);
    return standing;
  }

  /** Clears the customer's password lockout or suspension; audited and told to the customer. */
  async unlock(cupid: string, action: AgentAction): Promise<AccountStanding> {
    await this.dataSource.transaction(async (tx) => {
      const before = await this.lockout.accountStanding(tx, cupid);
      const failures = await this.lockout.unlockAccount(tx, cupid);
      await this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.ACCOUNT_UNLOCKED,
        outcome: 'SUCCESS',
        actor: action.agent,
        cupid,
        ip: action.origin.ip,
        userAgent: action.origin.userAgent,
        details: { reason: action.reason, wasLocked: before.locked, wasSuspended: before.suspended, failures },
      });
    });
    await this.notifier.notify(cupid, 'account.unlocked', {});
    return this.lockout.accountStanding(this.dataSource.manager, cupid);
  }
}
