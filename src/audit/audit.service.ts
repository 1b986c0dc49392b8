import { Injectable, Optional } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Meters } from '../common/meters';
import { scrubSecrets } from '../common/redact';
import type { AuditActorType, AuditEventType, AuditOutcome } from './audit-events';
import { AuditInsertOptions, AuditLogInsert, AuditLogRepository, SqlFragment } from './audit-log.repository';

export type { AuditInsertOptions, SqlFragment } from './audit-log.repository';

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
 * The one way to append to audit_logs (through AuditLogRepository, which also holds the partitions' lifecycle
 * that the audit-partitions job drives). It appends through the caller's EntityManager, so the event commits
 * or rolls back with the state change it describes (docs/architecture.md, rule 3); secret-named fields of
 * `details` are scrubbed here, before anything reaches the row.
 *
 * Inside a unit of work (`unitOfWork`: one transaction of a request) `record` only collects the event, and the
 * unit writes everything it collected in ONE insert just before the transaction commits: the events still
 * commit or roll back with the change they describe, for one round trip instead of one per event.
 */
@Injectable()
export class AuditService {
  /** The events each open unit of work has collected, keyed by its transaction's EntityManager. */
  private readonly collected = new WeakMap<EntityManager, AuditLogInsert[]>();

  constructor(
    private readonly log: AuditLogRepository,
    @Optional() private readonly meters?: Meters,
  ) {}

  /** The event as a row; the domain metrics count it here, on every path (collected, direct or as a fragment). */
  private readonly row = (event: AuditEvent): AuditLogInsert => {
    this.meters?.auditEvent(event);
    return toRow(event);
  };

  async record(manager: EntityManager, event: AuditEvent): Promise<void> {
    // Scrubbed and copied now: a caller may reuse its details object after recording it.
    const row = this.row(event);
    const unit = this.collected.get(manager);
    if (unit) unit.push(row);
    else await this.log.append(manager, row);
  }

  /**
   * Runs `work` in the caller's transaction (`manager`), collecting the events it records, then writes them
   * in one multi-row insert, still inside that transaction (so before its COMMIT). When `work` throws nothing
   * is written (the transaction rolls back anyway). A nested unit on the same manager joins the outer one.
   */
  async unitOfWork<T>(manager: EntityManager, work: () => Promise<T>): Promise<T> {
    if (this.collected.has(manager)) return work();
    const rows: AuditLogInsert[] = [];
    this.collected.set(manager, rows);
    try {
      const result = await work();
      // Rows recorded while flushing (none today) would be lost, so the unit closes first.
      this.collected.delete(manager);
      if (rows.length > 0) await this.log.appendAll(manager, rows);
      return result;
    } finally {
      this.collected.delete(manager);
    }
  }

  /**
   * What the open unit of work on `manager` has collected so far, as a fragment for the caller's next
   * statement (`WITH audit AS (<text>) UPDATE ...`), and the unit forgets it: those events then commit with
   * that statement, in the same transaction, and the unit's own insert at its end carries only what is
   * recorded later (nothing, usually: no insert at all). Null outside a unit or when nothing was collected.
   */
  takeFragment(manager: EntityManager, firstParam: number): SqlFragment | null {
    const rows = this.collected.get(manager);
    if (!rows || rows.length === 0) return null;
    return this.log.insertFragment(rows.splice(0), firstParam);
  }

  /** Several events of one request in one INSERT (one round trip), in the caller's transaction. */
  async recordAll(manager: EntityManager, events: AuditEvent[]): Promise<void> {
    await this.log.appendAll(manager, events.map(this.row));
  }

  /**
   * The events as an SQL fragment (an INSERT ... SELECT from jsonb_to_recordset($firstParam)) for
   * the caller's repository to run inside its own statement, e.g. as a data-modifying CTE member: the audit
   * rows then commit with the change they describe, in the same round trip (docs/architecture.md, rule 3).
   * Secrets are scrubbed here as for `record`. One parameter, `$firstParam`; the text is fixed for a given
   * `firstParam` and `options.when`, so the statement can be prepared under one name.
   */
  fragment(events: AuditEvent[], firstParam: number, options?: AuditInsertOptions): SqlFragment {
    return this.log.insertFragment(events.map(this.row), firstParam, options);
  }
}

function toRow(event: AuditEvent): AuditLogInsert {
  return {
    at: event.at ?? null,
    eventType: event.type,
    outcome: event.outcome,
    actorType: event.actor.type,
    actorId: event.actor.id ?? null,
    cupid: event.cupid ?? null,
    sessionId: event.sessionId ?? null,
    contextId: event.contextId ?? null,
    clientId: event.clientId ?? null,
    ip: event.ip ?? null,
    userAgent: event.userAgent ? event.userAgent.slice(0, 512) : null,
    details: scrubSecrets(event.details ?? {}),
  };
}
