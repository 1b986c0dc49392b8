import type { EntityManager } from 'typeorm';

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
