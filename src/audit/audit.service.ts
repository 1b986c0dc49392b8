import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { scrubSecrets } from '../common/redact';
import type { AuditActorType, AuditEventType, AuditOutcome } from './audit-events';

export interface AuditEvent {
  type: AuditEventType;
  outcome: AuditOutcome;
  actor: { type: AuditActorType; id?: string | null };
  cupid?: string | null;
  sessionId?: string | null;
  contextId?: string | null;
  clientId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** Free-form facts about the event; secret-named fields are replaced before they are stored. */
  details?: Record<string, unknown>;
  /** Defaults to the database's now(); set only to record an event at a known instant (tests, imports). */
  at?: Date;
}

/**
 * The only code that appends to audit_logs (the audit-partitions job creates and drops partitions and
 * purges the DEFAULT partition past retention: src/jobs/jobs.repository.ts). It appends through the
 * caller's EntityManager, so the event commits or rolls back with the state change it describes
 * (docs/architecture.md, rule 3).
 */
@Injectable()
export class AuditService {
  async record(manager: EntityManager, event: AuditEvent): Promise<void> {
    await manager.query(
      `INSERT INTO audit_logs (created_at, event_type, outcome, actor_type, actor_id, cupid, session_id, context_id,
                               client_id, ip_address, user_agent, details)
       VALUES (COALESCE($1, clock_timestamp()), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        event.at ?? null,
        event.type,
        event.outcome,
        event.actor.type,
        event.actor.id ?? null,
        event.cupid ?? null,
        event.sessionId ?? null,
        event.contextId ?? null,
        event.clientId ?? null,
        event.ip ?? null,
        event.userAgent ? event.userAgent.slice(0, 512) : null,
        JSON.stringify(scrubSecrets(event.details ?? {})),
      ],
    );
  }
}
