import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '../database/sql';

export interface MfaLockRow {
  cupid: string;
  lockedAt: Date | null;
  lockedUntil: Date | null;
  failures: number;
  clearedAt: Date | null;
  clearedBy: string | null;
  clearReason: string | null;
}

interface Row {
  cupid: string;
  locked_at: Date | null;
  locked_until: Date | null;
  failures: number;
  cleared_at: Date | null;
  cleared_by: string | null;
  clear_reason: string | null;
}

const toLock = (row: Row): MfaLockRow => ({
  cupid: row.cupid,
  lockedAt: row.locked_at,
  lockedUntil: row.locked_until,
  failures: row.failures,
  clearedAt: row.cleared_at,
  clearedBy: row.cleared_by,
  clearReason: row.clear_reason,
});

/** The only code that touches mfa_code_failures and mfa_locks (one customer's wrong codes, and the lock they engage). */
@Injectable()
export class MfaLockoutRepository {
  /** The customer's lock row, created if missing and row-locked until the transaction ends (serialises one customer's failures across instances). */
  async lockForUpdate(manager: EntityManager, cupid: string): Promise<MfaLockRow> {
    await manager.query(`INSERT INTO mfa_locks (cupid) VALUES ($1) ON CONFLICT (cupid) DO NOTHING`, [cupid]);
    const [row] = await rowsOf<Row>(manager, `SELECT * FROM mfa_locks WHERE cupid = $1 FOR UPDATE`, [cupid]);
    return toLock(row);
  }

  async find(manager: EntityManager, cupid: string): Promise<MfaLockRow | null> {
    const [row] = await rowsOf<Row>(manager, `SELECT * FROM mfa_locks WHERE cupid = $1`, [cupid]);
    return row ? toLock(row) : null;
  }

  async recordFailure(
    manager: EntityManager,
    failure: { cupid: string; contextId: string | null; at: Date },
  ): Promise<void> {
    await manager.query(`INSERT INTO mfa_code_failures (cupid, context_id, failed_at) VALUES ($1, $2, $3)`, [
      failure.cupid,
      failure.contextId,
      failure.at,
    ]);
  }

  /** Wrong codes within the window that came after the last time an agent cleared the count. */
  async countSince(manager: EntityManager, cupid: string, since: Date): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(
      manager,
      `SELECT count(*)::int AS n FROM mfa_code_failures
        WHERE cupid = $1 AND failed_at > $2 AND failed_at > COALESCE((SELECT cleared_at FROM mfa_locks WHERE cupid = $1), '-infinity')`,
      [cupid, since],
    );
    return row.n;
  }

  /**
   * One batch of wrong codes entered before `before` (the data lifecycle: purge-journey-data; the caller
   * keeps at least the failure window). Returns the rows deleted.
   */
  async deleteFailuresBefore(manager: EntityManager, before: Date, batch: number): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(
      manager,
      `WITH due AS (SELECT id FROM mfa_code_failures WHERE failed_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED),
            gone AS (DELETE FROM mfa_code_failures f USING due WHERE f.id = due.id RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [before, batch],
    );
    return row.n;
  }

  async lock(manager: EntityManager, cupid: string, lock: { at: Date; until: Date; failures: number }): Promise<void> {
    await manager.query(`UPDATE mfa_locks SET locked_at = $2, locked_until = $3, failures = $4 WHERE cupid = $1`, [
      cupid,
      lock.at,
      lock.until,
      lock.failures,
    ]);
  }

  /** Lifts the lock and clears the count (failures before `at` no longer count). */
  async clear(
    manager: EntityManager,
    cupid: string,
    clearance: { at: Date; by: string; reason: string },
  ): Promise<void> {
    await manager.query(
      `UPDATE mfa_locks SET locked_until = NULL, failures = 0, cleared_at = $2, cleared_by = $3, clear_reason = $4 WHERE cupid = $1`,
      [cupid, clearance.at, clearance.by, clearance.reason],
    );
  }
}
