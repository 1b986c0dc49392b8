import { Client } from 'pg';

/**
 * Every statement this process's pg clients send to one database, in order: each entry is one round
 * trip to PostgreSQL (pg sends a query and waits for its answer before the next on that connection).
 * Counted where the driver sends it, so TypeORM's BEGIN and COMMIT count as well; a test-only window
 * (start, then stop) on the pg Client prototype, which the service's pool clients inherit from.
 */
export interface StatementLog {
  /** The statements sent since start() (first line of each, whitespace collapsed). */
  statements(): string[];
  /** Forgets what was recorded so far. */
  clear(): void;
  stop(): void;
}

export function recordStatements(database: string): StatementLog {
  const seen: string[] = [];
  const original = Client.prototype.query;
  const patched = function (this: Client & { database?: string }, ...args: unknown[]): unknown {
    if (this.database === database) seen.push(textOf(args[0]));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
  Client.prototype.query = patched as typeof Client.prototype.query;
  return {
    statements: () => [...seen],
    clear: () => void seen.splice(0),
    stop: () => {
      if (Client.prototype.query === patched) Client.prototype.query = original;
    },
  };
}

function textOf(query: unknown): string {
  const text = typeof query === 'string' ? query : ((query as { text?: string } | null)?.text ?? String(query));
  return text.replace(/\s+/g, ' ').trim();
}
