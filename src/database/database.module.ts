import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/config';
import { dataSourceOptions, servingDataSourceOptions } from './data-source-options';

@Module({})
export class DatabaseModule {
  /** `url` is DATABASE_URL, or the embedded server's URL when DATABASE_URL is unset (see main.ts). */
  static register(config: AppConfig, url: string): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...servingDataSourceOptions(config, url), retryAttempts: 3, retryDelay: 1000 }),
          dataSourceFactory: async (options) => {
            if (config.database.migrationsRun) await runPendingMigrations(config, url);
            return new DataSource(options as DataSourceOptions);
          },
        }),
      ],
    };
  }
}

/**
 * Migrations run on a short-lived connection of their own, without the serving pool's statement
 * timeout: an index build on a large table may take minutes, a request never should.
 */
async function runPendingMigrations(config: AppConfig, url: string): Promise<void> {
  const migrator = new DataSource({
    ...dataSourceOptions(config, url),
    migrationsRun: false,
    extra: { max: 1, connectionTimeoutMillis: 5000 },
  });
  await migrator.initialize();
  try {
    await migrator.runMigrations({ transaction: 'each' });
  } finally {
    await migrator.destroy();
  }
}
