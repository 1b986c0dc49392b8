import type { NodeEnv } from './config';
import type { EnvReader } from './env-reader';

/** The outbox's delivery (src/outbox): polling, leases, retries with backoff, dead letters, retention. */
export interface OutboxConfig {
  /** Deliver in this instance (every instance may: leases keep each message to one at a time). */
  deliveryEnabled: boolean;
  /** How often an instance looks for due messages when no notification woke it. */
  pollIntervalMs: number;
  /** Messages one claim takes (delivered concurrently; at most one per ordering key). */
  batchSize: number;
  /** How long a claim keeps other instances off a message; past it (a crash) another instance retries it. */
  leaseSeconds: number;
  /** Attempts in all before a message is dead-lettered. */
  maxAttempts: number;
  /** A message still undelivered this long after it was enqueued is dead-lettered at its next failure. */
  maxAgeSeconds: number;
  /** Exponential backoff: base * 2^(attempt-1), capped, with full jitter. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Timeout of one delivery's HTTP call. */
  deliveryTimeoutMs: number;
  /** Delivered messages are purged this long after delivery; dead ones this long after they died. */
  deliveredRetentionHours: number;
  deadRetentionDays: number;
}

export function readOutboxConfig(read: EnvReader, nodeEnv: NodeEnv): { outbox: OutboxConfig } {
  const outbox: OutboxConfig = {
    // Off in tests by default (like JOBS_ENABLED): a spec that tests delivery turns it on.
    deliveryEnabled: read.boolean('OUTBOX_DELIVERY_ENABLED', nodeEnv !== 'test'),
    pollIntervalMs: read.integer('OUTBOX_POLL_INTERVAL_MS', 2000, 50, 600000),
    batchSize: read.integer('OUTBOX_BATCH_SIZE', 20, 1, 1000),
    leaseSeconds: read.integer('OUTBOX_LEASE_SECONDS', 60, 5, 3600),
    maxAttempts: read.integer('OUTBOX_MAX_ATTEMPTS', 15, 1, 100),
    maxAgeSeconds: read.integer('OUTBOX_MAX_AGE_SECONDS', 3 * 86400, 60, 30 * 86400),
    backoffBaseMs: read.integer('OUTBOX_BACKOFF_BASE_MS', 2000, 1, 3600000),
    backoffMaxMs: read.integer('OUTBOX_BACKOFF_MAX_MS', 3600000, 1, 86400000),
    deliveryTimeoutMs: read.integer('OUTBOX_DELIVERY_TIMEOUT_MS', 5000, 100, 60000),
    deliveredRetentionHours: read.integer('OUTBOX_DELIVERED_RETENTION_HOURS', 72, 1, 24 * 365),
    deadRetentionDays: read.integer('OUTBOX_DEAD_RETENTION_DAYS', 30, 1, 3650),
  };
  if (outbox.backoffBaseMs > outbox.backoffMaxMs)
    read.problems.push('OUTBOX_BACKOFF_BASE_MS must not exceed OUTBOX_BACKOFF_MAX_MS');
  // A delivery must end (its HTTP timeout) well before its lease does, or a second instance could start it too.
  if (outbox.deliveryTimeoutMs * 2 > outbox.leaseSeconds * 1000)
    read.problems.push('OUTBOX_LEASE_SECONDS must be at least twice OUTBOX_DELIVERY_TIMEOUT_MS');
  return { outbox };
}
