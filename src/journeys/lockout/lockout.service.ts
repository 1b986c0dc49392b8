import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../../common/clock';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { rowsOf } from '../../database/sql';

export interface Lock {
  subject: 'account' | 'ip' | 'client';
  retryAfterSeconds: number;
}

export interface FailureOutcome {
  accountFailures: number;
  /** Locks this failure engaged (for audit). */
  engaged: Array<{ subject: 'account' | 'ip' | 'client'; lockedUntil: Date; failures: number }>;
}

const FOREVER = new Date('9999-12-31T00:00:00Z');

/**
 * Brute-force protection shared by every instance (rows in login_attempts, not process memory).
 * Per account: one counter per directory entry, whatever the spelling typed (issue 12). A username the
 * directory resolves counts against `customer:<CUPID>`, so every form the directory's matching rules fold
 * together (case, full-width or mathematical letters, dotted İ) shares it; a username it does not resolve
 * counts against `account:<canonical form>` (directory/username.ts), so an unknown username throttles and
 * locks exactly like a real one and reveals nothing. From `throttleAfter` consecutive failures each
 * attempt waits (2, 4, 8 ... seconds), at `lockAfter` the account locks for `lockSeconds`, at
 * `suspendAfter` (NIST 800-63B §5.2.2: at most 100) until support unlocks it. Per IP address,
 * `ipFailureLimit` failures within `ipWindowSeconds` block the address for `lockSeconds`.
 */
@Injectable()
export class LockoutService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** The counter of a username the directory does not know, by its canonical form. */
  static accountSubject(canonicalUsername: string): string {
    return `account:${canonicalUsername.slice(0, 256)}`;
  }

  /** The counter of a directory entry, whatever spelling found it. */
  static customerSubject(cupid: string): string {
    return `customer:${cupid.slice(0, 128)}`;
  }

  /** The lock in force on the address, if any: checked before the directory is asked. */
  checkAddress(manager: EntityManager, ip: string | null): Promise<Lock | null> {
    return ip ? this.lockOn(manager, [`ip:${ip}`]) : Promise.resolve(null);
  }

  /** The lock in force on an account counter (accountSubject or customerSubject), if any. */
  checkAccount(manager: EntityManager, subject: string): Promise<Lock | null> {
    return this.lockOn(manager, [subject]);
  }

  /** The longest lock in force on an OAuth client's credentials or the IP address, if any. */
  checkClient(manager: EntityManager, clientId: string, ip: string | null): Promise<Lock | null> {
    return this.lockOn(manager, [`client:${clientId.slice(0, 128)}`, ...(ip ? [`ip:${ip}`] : [])]);
  }

  /**
   * A failed client authentication (wrong secret): counted per client id and per IP address in windows,
   * like the IP counters, so guessing a client's secret, or burning CPU on argon2id with bad ones, stops.
   */
  async recordClientFailure(
    manager: EntityManager,
    clientId: string,
    ip: string | null,
  ): Promise<FailureOutcome['engaged']> {
    const now = this.clock.now();
    const { clientFailureLimit, ipFailureLimit, ipWindowSeconds } = this.config.lockout;
    const engaged = await this.windowedFailure(
      manager,
      `client:${clientId.slice(0, 128)}`,
      'client',
      now,
      ipWindowSeconds,
      clientFailureLimit,
    );
    return ip
      ? [...engaged, ...(await this.windowedFailure(manager, `ip:${ip}`, 'ip', now, ipWindowSeconds, ipFailureLimit))]
      : engaged;
  }

  private async lockOn(manager: EntityManager, subjects: string[]): Promise<Lock | null> {
    const now = this.clock.now();
    const rows = await rowsOf<{ subject: string; locked_until: Date }>(
      manager,
      `SELECT subject, locked_until FROM login_attempts WHERE subject = ANY($1::text[]) AND locked_until > $2 ORDER BY locked_until DESC LIMIT 1`,
      [subjects, now],
    );
    if (rows.length === 0) return null;
    const seconds = Math.ceil((rows[0].locked_until.getTime() - now.getTime()) / 1000);
    const kind = rows[0].subject.split(':')[0];
    return {
      subject: kind === 'customer' ? 'account' : (kind as Lock['subject']),
      retryAfterSeconds: Math.min(Math.max(seconds, 1), 86400),
    };
  }

  /** One more failure in the subject's current window; locks the subject when the window reaches `limit`. */
  private async windowedFailure(
    manager: EntityManager,
    subject: string,
    kind: Lock['subject'],
    now: Date,
    windowSeconds: number,
    limit: number,
  ): Promise<FailureOutcome['engaged']> {
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
    if (row.window_failures < limit) return [];
    const until = new Date(now.getTime() + this.config.lockout.lockSeconds * 1000);
    await manager.query(`UPDATE login_attempts SET locked_until = $2 WHERE subject = $1`, [subject, until]);
    return [{ subject: kind, lockedUntil: until, failures: row.window_failures }];
  }

  /** One more failure of an account counter (accountSubject or customerSubject) and of the address. */
  async recordFailure(manager: EntityManager, subject: string, ip: string | null): Promise<FailureOutcome> {
    const now = this.clock.now();
    const lockout = this.config.lockout;
    const [account] = await rowsOf<{ consecutive_failures: number }>(
      manager,
      `INSERT INTO login_attempts (subject, consecutive_failures, window_failures, last_failure_at, updated_at)
       VALUES ($1, 1, 1, $2, $2)
       ON CONFLICT (subject) DO UPDATE SET consecutive_failures = login_attempts.consecutive_failures + 1,
                                           last_failure_at = $2, updated_at = $2
       RETURNING consecutive_failures`,
      [subject, now],
    );
    const engaged: FailureOutcome['engaged'] = [];
    const failures = account.consecutive_failures;
    let lockedUntil: Date | null = null;
    if (failures >= lockout.suspendAfter) lockedUntil = FOREVER;
    else if (failures >= lockout.lockAfter) lockedUntil = new Date(now.getTime() + lockout.lockSeconds * 1000);
    else if (failures >= lockout.throttleAfter) {
      const delay = Math.min(2 ** (failures - lockout.throttleAfter + 1), lockout.lockSeconds);
      lockedUntil = new Date(now.getTime() + delay * 1000);
    }
    if (lockedUntil) {
      await manager.query(`UPDATE login_attempts SET locked_until = $2 WHERE subject = $1`, [subject, lockedUntil]);
      engaged.push({ subject: 'account', lockedUntil, failures });
    }

    if (ip)
      engaged.push(
        ...(await this.windowedFailure(
          manager,
          `ip:${ip}`,
          'ip',
          now,
          lockout.ipWindowSeconds,
          lockout.ipFailureLimit,
        )),
      );
    return { accountFailures: failures, engaged };
  }

  /**
   * A correct password clears the account's consecutive failures (the IP window keeps counting).
   * Returns how many there were, for the risk rules (failure velocity) that run next.
   */
  async recordSuccess(manager: EntityManager, subject: string): Promise<number> {
    const [row] = await rowsOf<{ before: number }>(
      manager,
      `UPDATE login_attempts a SET consecutive_failures = 0, locked_until = NULL, updated_at = $2
         FROM (SELECT subject, consecutive_failures AS before FROM login_attempts WHERE subject = $1 FOR UPDATE) b
        WHERE a.subject = b.subject
        RETURNING b.before`,
      [subject, this.clock.now()],
    );
    return row?.before ?? 0;
  }
}
