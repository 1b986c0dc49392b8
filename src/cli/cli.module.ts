import { DynamicModule, Module, Type } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CommonModule } from '../common/common.module';
import type { AppConfig } from '../config/config';
import { ConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { ClientsModule } from '../clients/clients.module';
import { TokensModule } from '../tokens/tokens.module';
import { PseudonymsModule } from '../pseudonyms/pseudonyms.module';
import { JobsModule } from '../jobs/jobs.module';
import { EsignRepository } from '../esign/esign.repository';
import { MetricsModule } from '../observability/metrics.module';
import { OutboxModule } from '../outbox/outbox.module';
import { SignalsModule } from '../signals/signals.module';
import { FederationModule } from '../federation/federation.module';

/** The modules the operator commands need: no HTTP, no start-up audit, no demo seeding, no schedules, no outbox delivery, no sequencer loop. */
@Module({})
export class CliModule {
  /** `extraImports`: modules only one command needs, loaded by that command alone (start-up time of the others). */
  static register(
    config: AppConfig,
    databaseUrl: string,
    extraImports: Array<Type | DynamicModule> = [],
  ): DynamicModule {
    // No schedules and no outbox delivery: an operator command does its one thing and exits.
    config = {
      ...config,
      jobs: { ...config.jobs, enabled: false, auditChainIntervalMs: 0 },
      outbox: { ...config.outbox, deliveryEnabled: false },
    };
    return {
      module: CliModule,
      imports: [
        ConfigModule.register(config),
        CommonModule.register(),
        DatabaseModule.register(config, databaseUrl),
        AuditModule,
        ClientsModule,
        TokensModule,
        PseudonymsModule,
        MetricsModule,
        OutboxModule,
        FederationModule,
        SignalsModule,
        JobsModule,
        ...extraImports,
      ],
      providers: [EsignRepository],
    };
  }
}
