import type { DataSource, EntityManager } from 'typeorm';

/**
 * The rows a statement returns, whatever its kind. TypeORM answers UPDATE and DELETE with
 * [rows, affectedCount] and everything else with rows; callers of `... RETURNING` want the rows.
 */
export async function rowsOf<T>(manager: EntityManager, sql: string, parameters: unknown[] = []): Promise<T[]> {
  const result: unknown = await manager.query(sql, parameters);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}

/**
 * A single read outside any transaction, straight on the pg pool: for the hottest lookups (a bearer
 * token on every API call), TypeORM's per-query QueryRunner, events and logging cost more than the
 * query itself. Same pool, same connections; use rowsOf for everything else.
 */
export async function poolRows<T>(dataSource: DataSource, sql: string, parameters: unknown[] = []): Promise<T[]> {
  const pool = (
    dataSource.driver as unknown as { master?: { query(sql: string, parameters: unknown[]): Promise<{ rows: T[] }> } }
  ).master;
  if (!pool) return rowsOf<T>(dataSource.manager, sql, parameters);
  return (await pool.query(sql, parameters)).rows;
}

/** The pg pool's counters (for the pool gauge): connections open, idle, and requests waiting for one. */
export function poolStats(dataSource: DataSource): { total: number; idle: number; waiting: number } {
  const pool = (
    dataSource.driver as unknown as { master?: { totalCount: number; idleCount: number; waitingCount: number } }
  ).master;
  return { total: pool?.totalCount ?? 0, idle: pool?.idleCount ?? 0, waiting: pool?.waitingCount ?? 0 };
}
