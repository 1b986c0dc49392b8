import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/config';
import { deadlineClientClass } from './deadline-client';
import { DatabaseLogger } from '../observability/logging';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

/**
 * TypeORM options shared by the app, the migration CLI and the tests. `synchronize` is never on.
 * No statement timeout here: migrations and operator tools may legitimately run long.
 */
export function dataSourceOptions(config: AppConfig, url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: config.database.migrationsRun,
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Failed queries are logged without their parameters (observability/logging.ts).
    logging: ['error', 'warn', 'migration'],
    logger: new DatabaseLogger(),
    applicationName: 'ciam-backend',
    extra: { max: config.database.poolSize, connectionTimeoutMillis: 5000 },
  };
}

/** Margin past statement_timeout before the client stops waiting: the server's own error comes first when it can. */
const CLIENT_DEADLINE_MARGIN_MS = 1000;

/**
 * The serving process's options: every wait on the database is bounded, so a frozen or unreachable
 * database costs a request a few seconds and a 503, never as long as the outage. Migrations run
 * separately, before the pool opens (database.module.ts), without these bounds.
 */
export function servingDataSourceOptions(config: AppConfig, url: string): DataSourceOptions {
  const db = config.database;
  return {
    ...dataSourceOptions(config, url),
    migrationsRun: false,
    extra: {
      max: db.poolSize,
      // pg-pool: the wait for a connection, whether an idle one frees up or a new one is opened.
      connectionTimeoutMillis: db.acquireTimeoutMs,
      // Set at connection start-up (no extra round trip); enforced by the server.
      statement_timeout: db.statementTimeoutMs,
      idle_in_transaction_session_timeout: db.idleInTransactionTimeoutMs,
      // Enforced by the client: when packets are dropped the server cannot tell us about its timeout.
      query_timeout: db.statementTimeoutMs + CLIENT_DEADLINE_MARGIN_MS,
      keepAlive: true,
      keepAliveInitialDelayMillis: db.keepAliveIdleMs,
      // pg-pool closes idle connections after 10 s by default: under uneven load the pool then churns, and each
      // reopened connection pays SCRAM's key derivation (here) and a backend start with cold caches (there).
      idleTimeoutMillis: db.poolIdleTimeoutMs,
      Client: deadlineClientClass(db.connectTimeoutMs),
    },
  };
}
