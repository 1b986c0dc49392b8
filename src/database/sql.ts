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

/**
 * One statement on the caller's transaction connection (`manager`'s query runner), as a named prepared
 * statement: PostgreSQL parses and plans it once per connection instead of on every call, and TypeORM's
 * query path is skipped. For the journey's hot statements, whose text is fixed; outside a transaction it runs
 * as poolStatement does. The connection's bounded waits are the same.
 */
export async function statementRows<T>(manager: EntityManager, statement: NamedStatement): Promise<T[]> {
  const runner = manager.queryRunner as unknown as
    { isReleased?: boolean; databaseConnection?: { query<R>(s: object): Promise<{ rows: R[] }> } } | undefined;
  // No transaction (the data source's own manager): a single statement straight on the pool, prepared as well.
  if (!runner) return poolStatement<T>(manager.dataSource, statement);
  const client = !runner.isReleased ? runner.databaseConnection : undefined;
  const name = client ? nameOf(statement) : undefined;
  if (!client || !name) return rowsOf<T>(manager, statement.text, statement.values);
  return (await client.query<T>({ name, text: statement.text, values: statement.values })).rows;
}

/** The pg pool's counters (for the pool gauge): connections open, idle, and requests waiting for one. */
export function poolStats(dataSource: DataSource): { total: number; idle: number; waiting: number } {
  const pool = (
    dataSource.driver as unknown as { master?: { totalCount: number; idleCount: number; waitingCount: number } }
  ).master;
  return { total: pool?.totalCount ?? 0, idle: pool?.idleCount ?? 0, waiting: pool?.waitingCount ?? 0 };
}

/** A write a repository hands over as SQL, numbering its parameters from the first free one it is given. */
export type DeferredWrite = (firstParam: number) => { text: string; values: unknown[] };

const deferredWrites = new WeakMap<EntityManager, DeferredWrite[]>();

/**
 * Runs `work` in the caller's transaction (`manager`) with write deferral on: a write a repository defers
 * (deferWrite) waits for the next statement that takes it along (withDeferred: the writes become
 * data-modifying CTE members of that statement, one round trip for several writes), and whatever is still
 * waiting when `work` ends is written in one statement then, before the transaction commits. Only writes
 * nothing later in the transaction reads are deferred (their repositories say which); a statement that
 * takes them along runs them in the same snapshot, and foreign keys are checked at its end.
 */
export async function withDeferredWrites<T>(manager: EntityManager, work: () => Promise<T>): Promise<T> {
  if (deferredWrites.has(manager)) return work();
  const pending: DeferredWrite[] = [];
  deferredWrites.set(manager, pending);
  try {
    const result = await work();
    deferredWrites.delete(manager);
    if (pending.length > 0) {
      await statementRows(manager, withDeferred(pending, { text: 'SELECT 1', values: [] }));
    }
    return result;
  } finally {
    deferredWrites.delete(manager);
  }
}

/** Defers a write inside withDeferredWrites; runs it at once anywhere else. */
export async function deferWrite(manager: EntityManager, write: DeferredWrite): Promise<void> {
  const pending = deferredWrites.get(manager);
  if (pending) {
    pending.push(write);
    return;
  }
  await statementRows(manager, write(1));
}

/** The writes deferred on `manager` so far, handed to the caller's next statement (and forgotten here). */
export function takeDeferred(manager: EntityManager): DeferredWrite[] {
  return deferredWrites.get(manager)?.splice(0) ?? [];
}

/** `statement` with `writes` run first as data-modifying CTE members (`WITH d0 AS (...), d1 AS (...) <statement>`). */
export function withDeferred(
  writes: Array<(firstParam: number) => { text: string; values: unknown[] } | null>,
  statement: { text: string; values: unknown[] },
): { text: string; values: unknown[] } {
  const values = [...statement.values];
  const members: string[] = [];
  for (const write of writes) {
    const fragment = write(values.length + 1);
    if (!fragment) continue;
    values.push(...fragment.values);
    members.push(`d${members.length} AS (${fragment.text})`);
  }
  if (members.length === 0) return statement;
  const text = /^\s*WITH\s/i.test(statement.text)
    ? `WITH ${members.join(', ')}, ${statement.text.replace(/^\s*WITH\s+/i, '')}`
    : `WITH ${members.join(', ')} ${statement.text}`;
  return { text, values };
}
