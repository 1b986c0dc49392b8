import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../../common/clock';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { LoginAttemptsRepository } from './login-attempts.repository';

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

export interface AccountStanding {
  /** Password logins are refused now (a lock or a suspension). */
  locked: boolean;
  /** Locked until support unlocks it (LOCKOUT_SUSPEND_AFTER consecutive failures). */
  suspended: boolean;
  /** When a temporary lock ends; null when not locked or suspended. */
  lockedUntil: Date | null;
  consecutiveFailures: number;
  lastFailureAt: Date | null;
}

/**
 * Brute-force protection shared by every instance (rows in login_attempts, through LoginAttemptsRepository, not
 * process memory).
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
    private readonly attempts: LoginAttemptsRepository,
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
   * `checkClient` in the same single read, and also when the client's own counter last failed (null: never),
   * so the caller can tell whether the client has recent failures (ClientsService.needsLockoutCheck).
   */
  async checkClientStanding(
    manager: EntityManager,
    clientId: string,
    ip: string | null,
  ): Promise<{ lock: Lock | null; lastClientFailureAt: Date | null }> {
    const clientSubject = `client:${clientId.slice(0, 128)}`;
    const now = this.clock.now();
    const rows = await this.attempts.findStanding(manager, [clientSubject, ...(ip ? [`ip:${ip}`] : [])]);
    const locked = rows
      .filter((row) => row.lockedUntil && row.lockedUntil > now)
      .sort((a, b) => b.lockedUntil!.getTime() - a.lockedUntil!.getTime())[0];
    return {
      lock: locked ? this.toLock(locked.subject, locked.lockedUntil!, now) : null,
      lastClientFailureAt: rows.find((row) => row.subject === clientSubject)?.lastFailureAt ?? null,
    };
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
    const lock = await this.attempts.findLongestLock(manager, subjects, now);
    return lock ? this.toLock(lock.subject, lock.lockedUntil, now) : null;
  }

  private toLock(subject: string, lockedUntil: Date, now: Date): Lock {
    const seconds = Math.ceil((lockedUntil.getTime() - now.getTime()) / 1000);
    const kind = subject.split(':')[0];
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
    const failures = await this.attempts.countWindowedFailure(manager, subject, now, windowSeconds);
    if (failures < limit) return [];
    const until = new Date(now.getTime() + this.config.lockout.lockSeconds * 1000);
    await this.attempts.lockUntil(manager, subject, until);
    return [{ subject: kind, lockedUntil: until, failures }];
  }

  /**
   * A forgot-password start counts against its address like a failed password (the same window and limit), and
   * never against the account: naming an account must not lock its owner out, nor say whether it exists.
   */
  async recordAddressAttempt(manager: EntityManager, ip: string | null): Promise<FailureOutcome['engaged']> {
    if (!ip) return [];
    const lockout = this.config.lockout;
    return this.windowedFailure(
      manager,
      `ip:${ip}`,
      'ip',
      this.clock.now(),
      lockout.ipWindowSeconds,
      lockout.ipFailureLimit,
    );
  }

  /** One more failure of an account counter (accountSubject or customerSubject) and of the address. */
  async recordFailure(manager: EntityManager, subject: string, ip: string | null): Promise<FailureOutcome> {
    const now = this.clock.now();
    const lockout = this.config.lockout;
    const engaged: FailureOutcome['engaged'] = [];
    const failures = await this.attempts.countConsecutiveFailure(manager, subject, now);
    let lockedUntil: Date | null = null;
    if (failures >= lockout.suspendAfter) lockedUntil = FOREVER;
    else if (failures >= lockout.lockAfter) lockedUntil = new Date(now.getTime() + lockout.lockSeconds * 1000);
    else if (failures >= lockout.throttleAfter) {
      const delay = Math.min(2 ** (failures - lockout.throttleAfter + 1), lockout.lockSeconds);
      lockedUntil = new Date(now.getTime() + delay * 1000);
    }
    if (lockedUntil) {
      await this.attempts.lockUntil(manager, subject, lockedUntil);
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
  /**
   * checkAccount, then recordSuccess when no lock is in force, in one round trip: the lock (nothing cleared),
   * or the consecutive failures the success cleared.
   */
  async succeedUnlessLocked(
    manager: EntityManager,
    subject: string,
  ): Promise<{ lock: Lock } | { failuresBefore: number }> {
    const now = this.clock.now();
    const outcome = await this.attempts.clearConsecutiveUnlessLocked(manager, subject, now);
    if ('before' in outcome) return { failuresBefore: outcome.before };
    return { lock: this.toLock(subject, outcome.lockedUntil, now) };
  }

  /**
   * A customer's password lockout for support agents: the `customer:<CUPID>` counter (the one every spelling of
   * their username shares). Suspended: locked until support unlocks it (LOCKOUT_SUSPEND_AFTER failures).
   */
  async accountStanding(manager: EntityManager, cupid: string): Promise<AccountStanding> {
    const now = this.clock.now();
    const counter = await this.attempts.findCounter(manager, LockoutService.customerSubject(cupid));
    const lockedUntil = counter?.lockedUntil && counter.lockedUntil > now ? counter.lockedUntil : null;
    return {
      locked: lockedUntil !== null,
      suspended: lockedUntil !== null && lockedUntil.getTime() >= FOREVER.getTime(),
      lockedUntil: lockedUntil && lockedUntil.getTime() < FOREVER.getTime() ? lockedUntil : null,
      consecutiveFailures: counter?.consecutiveFailures ?? 0,
      lastFailureAt: counter?.lastFailureAt ?? null,
    };
  }

  /** Support's unlock: clears the customer's consecutive failures and any lock or suspension (the IP windows stay). */
  async unlockAccount(manager: EntityManager, cupid: string): Promise<number> {
    return this.attempts.clearConsecutive(manager, LockoutService.customerSubject(cupid), this.clock.now());
  }

  async recordSuccess(manager: EntityManager, subject: string): Promise<number> {
    return this.attempts.clearConsecutive(manager, subject, this.clock.now());
  }
}
