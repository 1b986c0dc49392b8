import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { TokensModule } from '../tokens/tokens.module';
import { CustomerAuthGuard } from './customer-auth.guard';
import { MeController } from './me.controller';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

@Module({
  imports: [TokensModule, DevicesModule],
  controllers: [MeController],
  providers: [SessionsRepository, SessionsService, CustomerAuthGuard],
  exports: [SessionsService, SessionsRepository, DevicesModule],
})
export class SessionsModule {}
