import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { DeviceFactorSource } from './device-factor-source';
import { DeviceRevocationService } from './device-revocation.service';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

/** The sessions domain: rows, their lifecycle and device revocation. Its HTTP API lives in src/me and src/agents. */
@Module({
  imports: [DevicesModule],
  providers: [SessionsRepository, SessionsService, DeviceRevocationService, DeviceFactorSource],
  exports: [SessionsService, SessionsRepository, DeviceRevocationService, DevicesModule],
})
export class SessionsModule {}
