import { Global, Module } from '@nestjs/common';
import { DirectoryModule } from '../directory/directory.module';
import { TokensModule } from '../tokens/tokens.module';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { MetricsModule } from './metrics.module';

@Global()
@Module({
  imports: [DirectoryModule, TokensModule, MetricsModule],
  controllers: [HealthController, MetricsController],
})
export class ObservabilityModule {}
