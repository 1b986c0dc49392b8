import { Global, Module } from '@nestjs/common';
import { Meters } from '../common/meters';
import { MetricsService } from './metrics.service';

/** The registry, and the domain metrics behind the Meters port that the domain modules report to. */
@Global()
@Module({
  providers: [
    MetricsService,
    { provide: Meters, inject: [MetricsService], useFactory: (m: MetricsService) => m.domain },
  ],
  exports: [MetricsService, Meters],
})
export class MetricsModule {}
