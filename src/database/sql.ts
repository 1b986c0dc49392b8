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

/**
 * A statement to prepare once per connection under `name` (its text must never change for that name);
 * without a name, one is derived from the text (a statement built from fragments).
 */
export interface NamedStatement {
  name?: string;
  text: string;
  values: unknown[];
}

type PgPool = { query<T>(statement: { name: string; text: string; values: unknown[] }): Promise<{ rows: T[] }> };

/** Statement texts seen by poolStatement without a name, and the name each is prepared under. */
const derivedNames = new Map<string, string>();
const MAX_DERIVED_NAMES = 500;

function nameOf(statement: NamedStatement): string | undefined {
  if (statement.name) return statement.name;
  let name = derivedNames.get(statement.text);
  if (!name) {
    // Past the bound (texts built from unbounded input would be a bug), run unprepared.
    if (derivedNames.size >= MAX_DERIVED_NAMES) return undefined;
    name = `ciam_${derivedNames.size + 1}`;
    derivedNames.set(statement.text, name);
  }
  return name;
}

/**
 * One statement straight on the pg pool, outside any transaction (a single statement is its own), as a
 * named prepared statement: PostgreSQL parses and plans it once per connection, and TypeORM's query
 * runner, events and logging are skipped. For the hot paths of the token endpoints; the pool and its
 * bounded waits (acquire timeout, statement timeout, client deadline) are the same as everywhere.
 */
export async function poolStatement<T>(dataSource: DataSource, statement: NamedStatement): Promise<T[]> {
  const pool = (dataSource.driver as unknown as { master?: PgPool }).master;
  if (!pool) return rowsOf<T>(dataSource.manager, statement.text, statement.values);
  const name = nameOf(statement);
  if (!name)
    return (
      await (pool as unknown as { query<R>(text: string, values: unknown[]): Promise<{ rows: R[] }> }).query<T>(
        statement.text,
        statement.values,
      )
    ).rows;
  return (await pool.query<T>({ name, text: statement.text, values: statement.values })).rows;
}

/** The pg pool's counters (for the pool gauge): connections open, idle, and requests waiting for one. */
export function poolStats(dataSource: DataSource): { total: number; idle: number; waiting: number } {
  const pool = (
    dataSource.driver as unknown as { master?: { totalCount: number; idleCount: number; waitingCount: number } }
  ).master;
  return { total: pool?.totalCount ?? 0, idle: pool?.idleCount ?? 0, waiting: pool?.waitingCount ?? 0 };
}
