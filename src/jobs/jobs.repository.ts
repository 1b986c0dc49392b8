import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { rowsOf } from '../database/sql';

/** The data lifecycle's SQL: every statement works on at most one batch of rows. */
@Injectable()
export class JobsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private async count(sql: string, parameters: unknown[]): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(this.dataSource.manager, sql, parameters);
    return Number(row?.n ?? 0);
  }

  expireTransactions(batch: number, asOf: Date): Promise<number> {
    return this.count('SELECT cleanup_expired_transactions($1, $2) AS n', [batch, asOf]);
  }

  expireContexts(batch: number, asOf: Date): Promise<number> {
    return this.count('SELECT cleanup_expired_contexts($1, $2) AS n', [batch, asOf]);
  }

  /** Sessions past their idle or absolute expiry, with their live tokens. */
  expireSessions(batch: number, asOf: Date): Promise<number> {
    return this.count('SELECT cleanup_expired_sessions($1, $2) AS n', [batch, asOf]);
  }

  expireTokens(batch: number, asOf: Date): Promise<number> {
    return this.count('SELECT cleanup_expired_tokens($1, $2) AS n', [batch, asOf]);
  }

  /** Finished journeys older than the retention, with their transactions and risk evaluations. */
  deleteOldJourneys(batch: number, asOf: Date, retentionDays: number): Promise<number> {
    return this.count(`SELECT cleanup_old_journeys(make_interval(days => $3), $1, $2) AS n`, [
      batch,
      asOf,
      retentionDays,
    ]);
  }

  /** Ended sessions (and, by cascade, their tokens and codes) whose last possible use is past the retention. */
  deleteOldSessions(batch: number, asOf: Date, retentionDays: number): Promise<number> {
    return this.count(
      `WITH due AS (SELECT id FROM sessions WHERE status <> 'ACTIVE' AND absolute_expires_at < $2::timestamptz - make_interval(days => $3)
                     LIMIT $1 FOR UPDATE SKIP LOCKED),
            gone AS (DELETE FROM sessions s USING due WHERE s.id = due.id RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [batch, asOf, retentionDays],
    );
  }

  /** Dead tokens without a session (client credentials) past the retention. */
  deleteOldSessionlessTokens(batch: number, asOf: Date, retentionDays: number): Promise<number> {
    return this.count(
      `WITH due AS (SELECT id FROM tokens WHERE session_id IS NULL AND status <> 'ACTIVE' AND expires_at < $2::timestamptz - make_interval(days => $3)
                     LIMIT $1 FOR UPDATE SKIP LOCKED),
            gone AS (DELETE FROM tokens t USING due WHERE t.id = due.id RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [batch, asOf, retentionDays],
    );
  }

  deleteOldRows(
    table: 'drs_evaluations' | 'sms_deliveries',
    batch: number,
    asOf: Date,
    retentionDays: number,
  ): Promise<number> {
    return this.count(
      `WITH due AS (SELECT id FROM ${table} WHERE created_at < $2::timestamptz - make_interval(days => $3) LIMIT $1 FOR UPDATE SKIP LOCKED),
            gone AS (DELETE FROM ${table} x USING due WHERE x.id = due.id RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [batch, asOf, retentionDays],
    );
  }

  /** Authorization codes a day past their (60-second) expiry: nothing can use them any more. */
  deleteExpiredCodes(batch: number, asOf: Date): Promise<number> {
    return this.count(
      `WITH due AS (SELECT id FROM authorization_codes WHERE expires_at < $2::timestamptz - interval '1 day' LIMIT $1 FOR UPDATE SKIP LOCKED),
            gone AS (DELETE FROM authorization_codes c USING due WHERE c.id = due.id RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [batch, asOf],
    );
  }

  /** Failed-login counters with no lock in force and no failure for 30 days. */
  deleteIdleLoginAttempts(batch: number, asOf: Date): Promise<number> {
    return this.count(
      `WITH due AS (SELECT subject FROM login_attempts
                     WHERE updated_at < $2::timestamptz - interval '30 days' AND (locked_until IS NULL OR locked_until < $2)
                     LIMIT $1 FOR UPDATE SKIP LOCKED),
            gone AS (DELETE FROM login_attempts a USING due WHERE a.subject = due.subject RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [batch, asOf],
    );
  }

  /** Creates the month's audit partition if missing; true when it did. */
  async ensureAuditPartition(monthStart: Date): Promise<{ name: string; created: boolean }> {
    const name = `audit_logs_${monthStart.getUTCFullYear()}_${String(monthStart.getUTCMonth() + 1).padStart(2, '0')}`;
    const [exists] = await rowsOf<{ present: boolean }>(
      this.dataSource.manager,
      'SELECT to_regclass($1) IS NOT NULL AS present',
      [name],
    );
    if (exists.present) return { name, created: false };
    await this.dataSource.query('SELECT create_audit_partition($1::date)', [monthStart.toISOString().slice(0, 10)]);
    return { name, created: true };
  }

  /** Monthly audit partitions, oldest first, with the first day of their month. */
  async auditPartitions(): Promise<Array<{ name: string; month: Date }>> {
    const rows = await rowsOf<{ name: string }>(
      this.dataSource.manager,
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'audit_logs'::regclass AND c.relname ~ '^audit_logs_[0-9]{4}_[0-9]{2}$' ORDER BY c.relname`,
    );
    return rows.map(({ name }) => ({
      name,
      month: new Date(Date.UTC(Number(name.slice(11, 15)), Number(name.slice(16, 18)) - 1, 1)),
    }));
  }

  /** Detaches a partition (so writes never wait on the drop), then drops it. */
  async dropAuditPartition(name: string): Promise<void> {
    if (!/^audit_logs_\d{4}_\d{2}$/.test(name)) throw new Error(`not an audit partition: ${name}`);
    await this.dataSource.query(`ALTER TABLE audit_logs DETACH PARTITION ${name}`);
    await this.dataSource.query(`DROP TABLE ${name}`);
  }

  /** Audit rows that fell into the DEFAULT partition and are past retention too. */
  deleteOldDefaultAuditRows(batch: number, cutoff: Date): Promise<number> {
    return this.count(
      `WITH due AS (SELECT id, created_at FROM audit_logs_default WHERE created_at < $2 LIMIT $1),
            gone AS (DELETE FROM audit_logs_default a USING due WHERE a.id = due.id AND a.created_at = due.created_at RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [batch, cutoff],
    );
  }
}
