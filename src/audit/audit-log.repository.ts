import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '../database/sql';

/** One audit_logs row as written: secrets already scrubbed from `details` (AuditService does it). */
export interface AuditLogInsert {
  at: Date | null;
  eventType: string;
  outcome: string;
  actorType: string;
  actorId: string | null;
  cupid: string | null;
  sessionId: string | null;
  contextId: string | null;
  clientId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}

const PARTITION_NAME = /^audit_logs_\d{4}_\d{2}$/;

/**
 * Owns the writes to audit_logs and its monthly partitions: the append (in the caller's transaction, rule 3)
 * and the data lifecycle the audit-partitions job drives. AuditTrailRepository reads it for the agents.
 */
@Injectable()
export class AuditLogRepository {
  async append(manager: EntityManager, row: AuditLogInsert): Promise<void> {
    await manager.query(
      `INSERT INTO audit_logs (created_at, event_type, outcome, actor_type, actor_id, cupid, session_id, context_id,
                               client_id, ip_address, user_agent, details)
       VALUES (COALESCE($1, clock_timestamp()), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        row.at,
        row.eventType,
        row.outcome,
        row.actorType,
        row.actorId,
        row.cupid,
        row.sessionId,
        row.contextId,
        row.clientId,
        row.ip,
        row.userAgent,
        JSON.stringify(row.details),
      ],
    );
  }

  /** Creates the month's partition if missing (create_audit_partition, a migration's function); true when it did. */
  async ensurePartition(manager: EntityManager, monthStart: Date): Promise<{ name: string; created: boolean }> {
    const name = `audit_logs_${monthStart.getUTCFullYear()}_${String(monthStart.getUTCMonth() + 1).padStart(2, '0')}`;
    const [exists] = await rowsOf<{ present: boolean }>(manager, 'SELECT to_regclass($1) IS NOT NULL AS present', [
      name,
    ]);
    if (exists.present) return { name, created: false };
    await manager.query('SELECT create_audit_partition($1::date)', [monthStart.toISOString().slice(0, 10)]);
    return { name, created: true };
  }

  /** Monthly partitions, oldest first, with the first day of their month. */
  async partitions(manager: EntityManager): Promise<Array<{ name: string; month: Date }>> {
    const rows = await rowsOf<{ name: string }>(
      manager,
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'audit_logs'::regclass AND c.relname ~ '^audit_logs_[0-9]{4}_[0-9]{2}$' ORDER BY c.relname`,
    );
    return rows.map(({ name }) => ({
      name,
      month: new Date(Date.UTC(Number(name.slice(11, 15)), Number(name.slice(16, 18)) - 1, 1)),
    }));
  }

  /** Detaches a partition (so writes never wait on the drop), then drops it; the name is checked, never quoted in. */
  async dropPartition(manager: EntityManager, name: string): Promise<void> {
    if (!PARTITION_NAME.test(name)) throw new Error(`not an audit partition: ${name}`);
    await manager.query(`ALTER TABLE audit_logs DETACH PARTITION ${name}`);
    await manager.query(`DROP TABLE ${name}`);
  }

  /** Rows that fell into the DEFAULT partition and are past retention too, one batch. */
  async deleteOldDefaultBatch(manager: EntityManager, batch: number, cutoff: Date): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(
      manager,
      `WITH due AS (SELECT id, created_at FROM audit_logs_default WHERE created_at < $2 LIMIT $1),
            gone AS (DELETE FROM audit_logs_default a USING due WHERE a.id = due.id AND a.created_at = due.created_at RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [batch, cutoff],
    );
    return Number(row?.n ?? 0);
  }
}
