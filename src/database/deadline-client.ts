import { Client } from 'pg';
import type { ClientConfig } from 'pg';
import { asDatabaseUnavailable } from './database-unavailable';

type Callback = (error: Error | null, result?: unknown) => void;

/**
 * The pg Client the pool creates. pg's `query_timeout` fails a query whose reply does not arrive in
 * time (a frozen network, where the server's statement_timeout cannot reach us), but it leaves the
 * connection in the pool with the query still outstanding, so every later query on it waits behind
 * the lost one. This client destroys the socket instead: the pool drops the connection and opens a
 * fresh one once the database answers again.
 */
export function deadlineClientClass(connectTimeoutMs: number): typeof Client {
  return class DeadlineClient extends Client {
    constructor(config?: string | ClientConfig) {
      super(
        typeof config === 'string'
          ? { connectionString: config, connectionTimeoutMillis: connectTimeoutMs }
          : { ...config, connectionTimeoutMillis: connectTimeoutMs },
      );
    }

    // pg's query() has a dozen overloads; this wrapper keeps every one of them as it is.
    override query(...args: unknown[]): never {
      const last = args[args.length - 1];
      if (typeof last === 'function') {
        args[args.length - 1] = (error: Error | null, result?: unknown) => {
          if (error) this.abandonAfterDeadline(error);
          (last as Callback)(error, result);
        };
        return (Client.prototype.query as (...a: unknown[]) => never).apply(this, args);
      }
      const result = (Client.prototype.query as (...a: unknown[]) => unknown).apply(this, args);
      if (result && typeof (result as Promise<unknown>).then === 'function') {
        return (result as Promise<unknown>).catch((error: Error) => {
          this.abandonAfterDeadline(error);
          throw error;
        }) as never;
      }
      return result as never;
    }

    private abandonAfterDeadline(error: Error): void {
      if (asDatabaseUnavailable(error)?.reason !== 'query read timeout') return;
      (this as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    }
  } as typeof Client;
}
