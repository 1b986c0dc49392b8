/**
 * The database could not answer in time, or not at all: refused, reset, frozen, restarting, shutting
 * down, or a wait past one of our bounds (pool acquire, statement_timeout, the client read deadline).
 * Nothing about the request itself was wrong, so the caller may retry: the filters answer 503 with
 * Retry-After (problem+json on REST, `temporarily_unavailable` on OAuth endpoints).
 */
export class DatabaseUnavailableError extends Error {
  /** Seconds a client should wait before retrying: about one failover, or one restart of the pool. */
  static readonly RETRY_AFTER_SECONDS = 5;

  constructor(
    readonly reason: string,
    cause?: unknown,
  ) {
    super(`the database is unavailable (${reason})`);
    this.name = 'DatabaseUnavailableError';
    this.cause = cause;
  }
}

/**
 * SQLSTATEs that mean "the server, not the statement": class 08 (connection exception), 57P01-57P05
 * (admin shutdown, crash shutdown, cannot connect now: starting up or recovering, idle session
 * timeout), 57014 (query_canceled: our statement_timeout), 25P03 (our
 * idle_in_transaction_session_timeout), 53300 (too many connections), 58000/58030 (system and I/O
 * errors).
 */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '57P04',
  '57P05',
  '57014',
  '25P03',
  '53300',
  '58000',
  '58030',
]);

/** Socket errors of node:net on the connection to PostgreSQL. */
const UNAVAILABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

/**
 * node-postgres reports its own timeouts and broken connections as plain Errors without a code, so
 * these messages (stable across pg 8.x) are the only signal. Matched here and nowhere else.
 */
const PG_DRIVER_MESSAGES = [
  'timeout exceeded when trying to connect', // pg-pool: acquire timeout
  'Connection terminated due to connection timeout', // pg Client: connect timeout
  'timeout expired', // pg Client: connect timeout that fires before the socket is up (client.js)
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Query read timeout', // pg Client: our client-side deadline (query_timeout)
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end on the pool',
];

/**
 * The one classification of database failures: a DatabaseUnavailableError when `error` (or what it
 * wraps: TypeORM's QueryFailedError keeps the driver's error in `driverError`) says the database is
 * unreachable or timed out; undefined for everything else (a constraint violation is a bug, not an
 * outage).
 */
export function asDatabaseUnavailable(error: unknown): DatabaseUnavailableError | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    if (current instanceof DatabaseUnavailableError) return current;
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string') {
      if (code.startsWith('08') && code.length === 5) return new DatabaseUnavailableError(`SQLSTATE ${code}`, error);
      if (UNAVAILABLE_SQLSTATES.has(code))
        return new DatabaseUnavailableError(code === '57014' ? 'statement timeout' : `SQLSTATE ${code}`, error);
      if (UNAVAILABLE_SOCKET_CODES.has(code)) return new DatabaseUnavailableError(code, error);
    }
    if (typeof message === 'string') {
      const known = PG_DRIVER_MESSAGES.find((text) => message.startsWith(text));
      if (known) return new DatabaseUnavailableError(known.toLowerCase(), error);
    }
    // Only the driver's own wrappers are followed, not `cause`: an adapter (LDAP, a vendor) that wraps
    // a refused socket has its own error and its own answer.
    const next = current as { driverError?: unknown; errors?: unknown };
    // AggregateError (a connect to several addresses) is unavailable when its first member is.
    current = next.driverError ?? (Array.isArray(next.errors) ? next.errors[0] : undefined);
  }
  return undefined;
}
