import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf, statementRows } from '../database/sql';

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

/**
 * A piece of SQL with its parameters, numbered from the `firstParam` the caller gave: the caller's own
 * statement holds parameters $1 .. $(firstParam - 1) and appends `values` after its own.
 */
export interface SqlFragment {
  text: string;
  values: unknown[];
}

export interface AuditInsertOptions {
  /**
   * A boolean SQL condition of the caller's statement (e.g. `EXISTS (SELECT 1 FROM rotated)`): the rows are
   * written only when it holds, so an audit row never records a change the statement did not make.
   */
  when?: string;
}

const PARTITION_NAME = /^audit_logs_\d{4}_\d{2}$/;

/**
 * The rows travel as ONE jsonb parameter (an array of objects, keys as below), so the statement's text is
 * the same whatever the number of events: a caller may prepare it under one name. jsonb_to_recordset
 * returns the rows in array order and clock_timestamp() is evaluated row by row, so the events of one
 * statement keep the order they were given in.
 */
const RECORDSET_COLUMNS =
  'at timestamptz, event_type text, outcome audit_outcome, actor_type audit_actor_type, actor_id text, cupid text, ' +
  'session_id uuid, context_id uuid, client_id text, ip_address inet, user_agent text, details jsonb';

function recordsetJson(rows: AuditLogInsert[]): string {
  return JSON.stringify(
    rows.map((row) => ({
      at: row.at,
      event_type: row.eventType,
      outcome: row.outcome,
      actor_type: row.actorType,
      actor_id: row.actorId,
      cupid: row.cupid,
      session_id: row.sessionId,
      context_id: row.contextId,
      client_id: row.clientId,
      ip_address: row.ip,
      user_agent: row.userAgent,
      details: row.details,
    })),
  );
}

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

  /**
   * The INSERT of `rows` as a fragment for another repository's statement, typically a member of a
   * data-modifying CTE (`WITH changed AS (UPDATE ...), audit AS (<text>) SELECT ...`): the audit rows commit
   * with the change they record in one round trip, and the table's name stays in this file (its one owner).
   * Uses one parameter, `$firstParam` (jsonb); the text depends only on `firstParam` and `options.when`,
   * so a caller can prepare it under a fixed name.
   */
  insertFragment(rows: AuditLogInsert[], firstParam: number, options: AuditInsertOptions = {}): SqlFragment {
    return {
      text: auditInsertText(firstParam, options.when),
      values: [recordsetJson(rows)],
    };
  }

  /** Several events in one INSERT (one round trip), in the caller's transaction. */
  async appendAll(manager: EntityManager, rows: AuditLogInsert[]): Promise<void> {
    if (rows.length === 0) return;
    // Prepared per connection under a name derived from its text (fixed for firstParam 1): the usual last statement.
    await statementRows(manager, this.insertFragment(rows, 1));
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

  /**
   * The sequencer's one write to a row: its chain columns, once, from NULL (the append-only trigger refuses any
   * other UPDATE). One statement for the batch; rows are found by their full primary key (partition pruning).
   */
  async writeChainLinks(
    manager: EntityManager,
    links: Array<{ id: string; createdAt: string; seq: number; contentHash: Buffer; chainHash: Buffer }>,
  ): Promise<void> {
    if (links.length === 0) return;
    await manager.query(
      `UPDATE audit_logs a SET content_hash = l.content_hash, chain_seq = l.seq, chain_hash = l.chain_hash
         FROM unnest($1::uuid[], $2::timestamptz[], $3::bigint[], $4::bytea[], $5::bytea[])
              AS l(id, created_at, seq, content_hash, chain_hash)
        WHERE a.id = l.id AND a.created_at = l.created_at AND a.chain_seq IS NULL`,
      [
        links.map((link) => link.id),
        links.map((link) => link.createdAt),
        links.map((link) => link.seq),
        links.map((link) => link.contentHash),
        links.map((link) => link.chainHash),
      ],
    );
  }

  /**
   * Rows that fell into the DEFAULT partition and are past retention too, one batch. The append-only trigger
   * lets rows go only inside a transaction that raised the retention flag (ciam.audit_maintenance).
   */
  /** Whether a partition still holds rows the sequencer has not chained (it must not be dropped before they are). */
  async hasUnchainedRows(manager: EntityManager, name: string): Promise<boolean> {
    if (!PARTITION_NAME.test(name)) throw new Error(`not an audit partition: ${name}`);
    const [row] = await rowsOf<{ unchained: boolean }>(
      manager,
      `SELECT EXISTS (SELECT 1 FROM ${name} WHERE chain_seq IS NULL) AS unchained`,
    );
    return row.unchained;
  }

  /** Whether the default partition holds rows older than `cutoff` (the retention has something to delete there). */
  async hasDefaultRowsBefore(manager: EntityManager, cutoff: Date): Promise<boolean> {
    const [row] = await rowsOf<{ due: boolean }>(
      manager,
      'SELECT EXISTS (SELECT 1 FROM audit_logs_default WHERE created_at < $1) AS due',
      [cutoff],
    );
    return row.due;
  }

  async deleteOldDefaultBatch(manager: EntityManager, batch: number, cutoff: Date): Promise<number> {
    return manager.transaction(async (tx) => {
      await tx.query(`SELECT set_config('ciam.audit_maintenance', 'on', true)`);
      return this.deleteDue(tx, batch, cutoff);
    });
  }

  private async deleteDue(manager: EntityManager, batch: number, cutoff: Date): Promise<number> {
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

function auditInsertText(firstParam: number, when: string | undefined): string {
  return (
    `INSERT INTO audit_logs (created_at, event_type, outcome, actor_type, actor_id, cupid, session_id, context_id, ` +
    `client_id, ip_address, user_agent, details) ` +
    `SELECT COALESCE(r.at, clock_timestamp()), r.event_type, r.outcome, r.actor_type, r.actor_id, r.cupid, r.session_id, ` +
    `r.context_id, r.client_id, r.ip_address, r.user_agent, COALESCE(r.details, '{}'::jsonb) ` +
    `FROM jsonb_to_recordset($${firstParam}::jsonb) AS r(${RECORDSET_COLUMNS})` +
    (when ? ` WHERE ${when}` : '')
  );
}
