import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { CustomerAuthGuard } from './customer-auth.guard';
import { DeviceRevocationService } from './device-revocation.service';
import { MeController } from './me.controller';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

@Module({
  imports: [DevicesModule],
  controllers: [MeController],
  providers: [SessionsRepository, SessionsService, CustomerAuthGuard, DeviceRevocationService],
  exports: [SessionsService, SessionsRepository, DeviceRevocationService, DevicesModule],
})
export class SessionsModule {}
