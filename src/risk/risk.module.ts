import { Module } from '@nestjs/common';
import { Meters } from '../common/meters';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { BuiltinRiskEvaluator } from './builtin.risk';
import { DrsEvaluationsModule } from './drs-evaluations.module';
import { RiskSignalsRepository } from './risk-signals.repository';
import { RiskEvaluator } from './risk.port';
import { RiskService } from './risk.service';
import { TransmitRiskEvaluator } from './transmit.risk';

/** RISK_PROVIDER picks the adapter: `builtin` rules or the `transmit` vendor API. */
@Module({
  imports: [DrsEvaluationsModule],
  providers: [
    RiskSignalsRepository,
    {
      provide: RiskEvaluator,
      inject: [APP_CONFIG, RiskSignalsRepository, { token: Meters, optional: true }],
      useFactory: (config: AppConfig, signals: RiskSignalsRepository, meters?: Meters): RiskEvaluator =>
        config.risk.provider === 'transmit'
          ? new TransmitRiskEvaluator(config.risk, meters)
          : new BuiltinRiskEvaluator(config.risk, signals, config.lockout),
    },
    RiskService,
  ],
  exports: [RiskService, DrsEvaluationsModule],
})
export class RiskModule {}
