import { DynamicModule, Global, Module } from '@nestjs/common';
import { Clock, SystemClock } from './clock';
import { CustomerFactors } from './customer-factors';
import { CustomerNotifier } from './customer-notifier';

/**
 * Process-wide services every module may inject: the clock, the registry of a customer's factor sources and the
 * customer notifier (both filled by the factor and messaging modules at init).
 */
@Global()
@Module({})
export class CommonModule {
  static register(clock: Clock = new SystemClock()): DynamicModule {
    return {
      module: CommonModule,
      providers: [{ provide: Clock, useValue: clock }, CustomerFactors, CustomerNotifier],
      exports: [Clock, CustomerFactors, CustomerNotifier],
    };
  }
}
