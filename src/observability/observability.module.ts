import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DirectoryModule } from '../directory/directory.module';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { MetricsModule } from './metrics.module';

@Global()
@Module({
  imports: [TerminusModule.forRoot({ logger: false }), DirectoryModule, MetricsModule],
  controllers: [HealthController, MetricsController],
})
export class ObservabilityModule {}
