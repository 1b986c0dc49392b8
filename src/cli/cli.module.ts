import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CommonModule } from '../common/common.module';
import type { AppConfig } from '../config/config';
import { ConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { ClientDeactivationModule } from '../oauth/clients/client-deactivation.module';
import { ClientsModule } from '../oauth/clients/clients.module';
import { TokensModule } from '../tokens/tokens.module';
import { JobsModule } from '../jobs/jobs.module';
import { EsignRepository } from '../esign/esign.repository';
import { MetricsModule } from '../observability/metrics.module';

/** The modules the operator commands need: no HTTP, no start-up audit, no demo seeding, no schedules (JOBS_ENABLED=false). */
@Module({})
export class CliModule {
  static register(config: AppConfig, databaseUrl: string): DynamicModule {
    config = { ...config, jobs: { ...config.jobs, enabled: false } };
    return {
      module: CliModule,
      imports: [
        ConfigModule.register(config),
        CommonModule.register(),
        DatabaseModule.register(config, databaseUrl),
        AuditModule,
        ClientsModule,
        ClientDeactivationModule,
        TokensModule,
        MetricsModule,
        JobsModule,
      ],
      providers: [EsignRepository],
    };
  }
}
