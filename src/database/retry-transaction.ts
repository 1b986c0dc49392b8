import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';

const logger = new Logger('Database');

/** SQLSTATEs PostgreSQL answers when it aborted a transaction only to let a concurrent one through. */
const RETRYABLE_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts?: number;
}

/** True for an error PostgreSQL raised because of a concurrent transaction, which a fresh attempt can pass. */
export function isRetryableConflict(error: unknown): boolean {
  const code = sqlstateOf(error);
  return code !== undefined && RETRYABLE_SQLSTATES.has(code);
}

function sqlstateOf(error: unknown): string | undefined {
  const code =
    (error as { code?: unknown; driverError?: { code?: unknown } } | null)?.driverError?.code ??
    (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Runs `work` in a transaction and runs it again (bounded) when PostgreSQL aborted it with a
 * serialization failure or a deadlock: the transaction rolled back whole, so nothing of the failed
 * attempt remains and running it again is safe. `work` must therefore make no outside call (no network,
 * no side effect beyond the database), as every transaction here must anyway.
 */
export async function retryTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 4);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await dataSource.transaction(work);
    } catch (error) {
      if (attempt >= attempts || !isRetryableConflict(error)) throw error;
      // Expected now and then under contention, but each one is worth seeing: a steady stream means a lock-order fault.
      logger.warn({ sqlstate: sqlstateOf(error), attempt }, 'transaction retried after a concurrent-update conflict');
      // A short, jittered pause so the transactions that collided do not collide again in step.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 20 * attempt)));
    }
  }
}
