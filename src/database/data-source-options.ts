import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/config';
import { DatabaseLogger } from '../observability/logging';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

/** TypeORM options shared by the app, the migration CLI and the tests. `synchronize` is never on. */
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
