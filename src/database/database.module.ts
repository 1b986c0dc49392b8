import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../config/config';
import { dataSourceOptions } from './data-source-options';

@Module({})
export class DatabaseModule {
  /** `url` is DATABASE_URL, or the embedded server's URL when DATABASE_URL is unset (see main.ts). */
  static register(config: AppConfig, url: string): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [TypeOrmModule.forRoot({ ...dataSourceOptions(config, url), retryAttempts: 3, retryDelay: 1000 })],
    };
  }
}
