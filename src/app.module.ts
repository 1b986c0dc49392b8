import { DynamicModule, Module, Type } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
import { AgentsModule } from './agents/agents.module';
import { AuditModule } from './audit/audit.module';
import type { Clock } from './common/clock';
import { CommonModule } from './common/common.module';
import type { AppConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { FederationModule } from './federation/federation.module';
import { HostedUiModule } from './hosted-ui/hosted-ui.module';
import { JobsModule } from './jobs/jobs.module';
import { MeModule } from './me/me.module';
import { loggerParams } from './observability/logging';
import { DemoClientsSeeder } from './clients/demo-clients';
import { OAuthModule } from './oauth/oauth.module';
import { OutboxModule } from './outbox/outbox.module';
import { LogoutModule } from './logout/logout.module';
import { SignalsModule } from './signals/signals.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { ObservabilityModule } from './observability/observability.module';
import { StartupAudit } from './startup-audit';

export interface AppModuleOptions {
  /** The database to use: DATABASE_URL, or the embedded server's URL. */
  databaseUrl: string;
  /** The process's root pino logger (observability/logging.ts). */
  rootLogger: PinoLogger;
  /** The time source; the system clock unless a test injects its own. */
  clock?: Clock;
  /** Further modules to mount (tests mount test-only controllers this way). */
  extraImports?: Array<Type | DynamicModule>;
}

@Module({})
export class AppModule {
  static register(config: AppConfig, options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.register(config),
        LoggerModule.forRoot(loggerParams(options.rootLogger)),
        DatabaseModule.register(config, options.databaseUrl),
        CommonModule.register(options.clock),
        AuditModule,
        ObservabilityModule,
        OutboxModule,
        LogoutModule,
        SignalsModule,
        FederationModule,
        OAuthModule,
        AgentsModule,
        MeModule,
        JobsModule,
        WebhooksModule,
        HostedUiModule,
        ...(options.extraImports ?? []),
      ],
      // Start-up work of the service itself (not of the CLI, which shares the modules).
      providers: [StartupAudit, DemoClientsSeeder],
    };
  }
}
