import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf, statementRows } from '../../database/sql';

/**
 * Owns login_attempts: one row per counter (`customer:<CUPID>`, `account:<canonical username>`, `ip:<address>`,
 * `client:<client id>`), shared by every instance. Its only writer is LockoutService (and the purge job,
 * through `deleteIdleBatch`); src/risk/risk-signals.repository.ts reads an address's window (docs/architecture.md,
 * "Tables and their owners").
 */
@Injectable()
export class LoginAttemptsRepository {
  /** The counter among `subjects` whose lock lasts longest and is still in force at `now`, if any. */
  async findLongestLock(
    manager: EntityManager,
    subjects: string[],
    now: Date,
  ): Promise<{ subject: string; lockedUntil: Date } | null> {
    // Prepared once per connection: it runs before every password check (and every client authentication).
    const [row] = await statementRows<{ subject: string; locked_until: Date }>(manager, {
      name: 'ciam_longest_lock',
      text: `SELECT subject, locked_until FROM login_attempts WHERE subject = ANY($1::text[]) AND locked_until > $2 ORDER BY locked_until DESC LIMIT 1`,
      values: [subjects, now],
    });
    return row ? { subject: row.subject, lockedUntil: row.locked_until } : null;
  }

  /** The counters among `subjects` that exist: their lock (if any) and last failure, in one indexed read. */
  async findStanding(
    manager: EntityManager,
    subjects: string[],
  ): Promise<Array<{ subject: string; lockedUntil: Date | null; lastFailureAt: Date | null }>> {
    const rows = await rowsOf<{ subject: string; locked_until: Date | null; last_failure_at: Date | null }>(
      manager,
      `SELECT subject, locked_until, last_failure_at FROM login_attempts WHERE subject = ANY($1::text[])`,
      [subjects],
    );
    return rows.map((row) => ({
      subject: row.subject,
      lockedUntil: row.locked_until,
      lastFailureAt: row.last_failure_at,
    }));
  }

  /** One counter's consecutive failures and lock, for support agents; null when it has no row. */
  async findCounter(
    manager: EntityManager,
    subject: string,
  ): Promise<{ consecutiveFailures: number; lockedUntil: Date | null; lastFailureAt: Date | null } | null> {
    const [row] = await rowsOf<{
      consecutive_failures: number;
      locked_until: Date | null;
      last_failure_at: Date | null;
    }>(manager, `SELECT consecutive_failures, locked_until, last_failure_at FROM login_attempts WHERE subject = $1`, [
      subject,
    ]);
    return row
      ? {
          consecutiveFailures: row.consecutive_failures,
          lockedUntil: row.locked_until,
          lastFailureAt: row.last_failure_at,
        }
      : null;
  }

  /**
   * One more failure in the subject's window of `windowSeconds` (a window older than that starts again at 1);
   * also counts a consecutive failure. One upsert, so concurrent failures on every instance all count.
   */
  async countWindowedFailure(
    manager: EntityManager,
    subject: string,
    now: Date,
    windowSeconds: number,
  ): Promise<number> {
    const [row] = await rowsOf<{ window_failures: number }>(
      manager,
      `INSERT INTO login_attempts (subject, consecutive_failures, window_failures, window_started_at, last_failure_at, updated_at)
       VALUES ($1, 1, 1, $2, $2, $2)
       ON CONFLICT (subject) DO UPDATE SET
         window_failures = CASE WHEN login_attempts.window_started_at < $2::timestamptz - make_interval(secs => $3)
                                THEN 1 ELSE login_attempts.window_failures + 1 END,
         window_started_at = CASE WHEN login_attempts.window_started_at < $2::timestamptz - make_interval(secs => $3)
                                  THEN $2 ELSE login_attempts.window_started_at END,
         consecutive_failures = login_attempts.consecutive_failures + 1,
         last_failure_at = $2, updated_at = $2
       RETURNING window_failures`,
      [subject, now, windowSeconds],
    );
    return row.window_failures;
  }

  /** One more consecutive failure of an account counter; returns the count (one upsert, race-free). */
  async countConsecutiveFailure(manager: EntityManager, subject: string, now: Date): Promise<number> {
    const [row] = await rowsOf<{ consecutive_failures: number }>(
      manager,
      `INSERT INTO login_attempts (subject, consecutive_failures, window_failures, last_failure_at, updated_at)
       VALUES ($1, 1, 1, $2, $2)
       ON CONFLICT (subject) DO UPDATE SET consecutive_failures = login_attempts.consecutive_failures + 1,
                                           last_failure_at = $2, updated_at = $2
       RETURNING consecutive_failures`,
      [subject, now],
    );
    return row.consecutive_failures;
  }

  async lockUntil(manager: EntityManager, subject: string, until: Date): Promise<void> {
    await manager.query(`UPDATE login_attempts SET locked_until = $2 WHERE subject = $1`, [subject, until]);
  }

  /**
   * Clears an account's consecutive failures and lock; returns how many failures there were (0 for no row).
   * The row lock in the sub-select makes the count read the one this update clears.
   */
  async clearConsecutive(manager: EntityManager, subject: string, now: Date): Promise<number> {
    const [row] = await rowsOf<{ before: number }>(
      manager,
      `UPDATE login_attempts a SET consecutive_failures = 0, locked_until = NULL, updated_at = $2
         FROM (SELECT subject, consecutive_failures AS before FROM login_attempts WHERE subject = $1 FOR UPDATE) b
        WHERE a.subject = b.subject
        RETURNING b.before`,
      [subject, now],
    );
    return row?.before ?? 0;
  }

  /**
   * clearConsecutive unless a lock is in force at `now` (findLongestLock for one subject), in one statement:
   * the lock when there is one (nothing cleared), otherwise the failures cleared (0 for no row). The row lock
   * in the first member makes the check and the clear read the same row.
   */
  async clearConsecutiveUnlessLocked(
    manager: EntityManager,
    subject: string,
    now: Date,
  ): Promise<{ lockedUntil: Date } | { before: number }> {
    const [row] = await statementRows<{ before: number; locked_until: Date | null }>(manager, {
      name: 'ciam_lockout_clear',
      text: `WITH b AS (SELECT subject, consecutive_failures AS before, locked_until FROM login_attempts WHERE subject = $1 FOR UPDATE),
            cleared AS (UPDATE login_attempts a SET consecutive_failures = 0, locked_until = NULL, updated_at = $2
                          FROM b WHERE a.subject = b.subject AND (b.locked_until IS NULL OR b.locked_until <= $2))
       SELECT before, CASE WHEN locked_until > $2 THEN locked_until END AS locked_until FROM b`,
      values: [subject, now],
    });
    if (row?.locked_until) return { lockedUntil: row.locked_until };
    return { before: row?.before ?? 0 };
  }

  /** Data lifecycle (purge job): counters with no lock in force and no failure for 30 days. */
  async deleteIdleBatch(manager: EntityManager, batch: number, asOf: Date): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(
      manager,
      `WITH due AS (SELECT subject FROM login_attempts
                     WHERE updated_at < $2::timestamptz - interval '30 days' AND (locked_until IS NULL OR locked_until < $2)
                     LIMIT $1 FOR UPDATE SKIP LOCKED),
            gone AS (DELETE FROM login_attempts a USING due WHERE a.subject = due.subject RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [batch, asOf],
    );
    return Number(row?.n ?? 0);
  }
}
