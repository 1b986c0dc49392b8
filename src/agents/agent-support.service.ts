import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AuditActor } from '../audit/audit-actor';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditTrailRepository } from '../audit/audit-trail.repository';
import type { AuditTrailQuery, AuditTrailRow } from '../audit/audit-trail.repository';
import { AuditService } from '../audit/audit.service';
import type { RequestOrigin } from '../common/request-origin';
import { DevicesService } from '../devices/devices.service';
import type { DeviceRow } from '../devices/devices.repository';
import { MfaLockoutService } from '../mfa/mfa-lockout.service';
import type { MfaStanding } from '../mfa/mfa-lockout.service';
import { SessionsRepository } from '../sessions/sessions.repository';
import type { SessionRow } from '../sessions/sessions.repository';
import { SessionsService } from '../sessions/sessions.service';

/** Who looks or acts, why, and from where: every agent action carries it to the customer's audit trail. */
export interface AgentAction {
  agent: AuditActor;
  reason: string;
  origin: RequestOrigin;
}

/** One page of rows, newest first, and whether older rows follow. */
export interface Page<T> {
  rows: T[];
  hasMore: boolean;
}

/** What an agent may see of a customer, by the name `agent.viewed` records it under. */
type Viewed =
  'sessions' | 'devices' | 'audit' | 'mfa' | 'factors' | 'lockout' | 'api_tokens' | 'federation_links' | 'consents';

/**
 * The support agents' reads and the revocations that need more than one domain call. Access to customer
 * data is justified and audited: each read is recorded as `agent.viewed` with the agent's reason, after the
 * read (so an audit page never contains its own reading; a read that fails records nothing) and in its
 * own short transaction (rule 3: the service opens it, the audit sink joins it).
 */
@Injectable()
export class AgentSupportService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly trail: AuditTrailRepository,
    private readonly sessions: SessionsService,
    private readonly sessionRows: SessionsRepository,
    private readonly devices: DevicesService,
    private readonly mfaLockout: MfaLockoutService,
  ) {}

  /** A customer's sessions, any status, newest first. */
  async sessionsOf(
    cupid: string,
    page: { limit: number; before?: { createdAt: string; id: string } },
    action: AgentAction,
  ): Promise<Page<SessionRow>> {
    const rows = await this.sessionRows.page(cupid, page.limit + 1, page.before);
    await this.recordView(cupid, 'sessions', action);
    return pageOf(rows, page.limit);
  }

  /** A customer's trusted devices, revoked ones too. */
  async devicesOf(cupid: string, action: AgentAction): Promise<DeviceRow[]> {
    const devices = await this.devices.list(cupid, true);
    await this.recordView(cupid, 'devices', action);
    return devices;
  }

  /** A customer's audit trail, newest first. */
  async auditOf(query: AuditTrailQuery, action: AgentAction): Promise<Page<AuditTrailRow>> {
    const rows = await this.trail.page({ ...query, limit: query.limit + 1 });
    await this.recordView(query.cupid, 'audit', action);
    return pageOf(rows, query.limit);
  }

  /** A customer's MFA lock (mfa/mfa-lockout.service.ts). */
  async mfaStandingOf(cupid: string, action: AgentAction): Promise<MfaStanding> {
    const standing = await this.mfaLockout.standing(cupid);
    await this.recordView(cupid, 'mfa', action);
    return standing;
  }

  /**
   * Revokes one session of this customer; null when the customer has no active session by that id (a
   * session of another customer is answered the same, so an agent cannot probe ids across customers).
   */
  async revokeSession(cupid: string, sessionId: string, action: AgentAction): Promise<SessionRow | null> {
    const session = await this.sessions.findById(sessionId);
    if (session?.cupid !== cupid) return null;
    if (!(await this.sessions.revoke(sessionId, action.agent, action.reason, action.origin))) return null;
    return this.sessionRows.findRow(sessionId);
  }

  async recordView(cupid: string, what: Viewed, action: AgentAction): Promise<void> {
    await this.dataSource.transaction((tx) =>
      this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.AGENT_VIEWED,
        outcome: 'SUCCESS',
        actor: action.agent,
        cupid,
        ip: action.origin.ip,
        userAgent: action.origin.userAgent,
        details: { what, reason: action.reason },
      }),
    );
  }
}

function pageOf<T>(rows: T[], limit: number): Page<T> {
  return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
}
