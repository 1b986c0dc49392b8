import { Module } from '@nestjs/common';
import { TokensModule } from '../tokens/tokens.module';
import { SetDeliveryHandlers } from './set-delivery.handlers';
import { SetReceiversRepository } from './set-receivers.repository';
import { SignalsService } from './signals.service';

/** Shared Signals (CAEP/RISC SETs, RFC 8417/8935): receivers, and the outbox handlers that push to them. */
@Module({
  imports: [TokensModule],
  providers: [SetReceiversRepository, SignalsService, SetDeliveryHandlers],
  exports: [SignalsService],
})
export class SignalsModule {}
