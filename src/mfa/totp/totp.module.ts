import { Module } from '@nestjs/common';
import { KeysModule } from '../../keys/keys.module';
import { TotpCredentialsRepository } from './totp-credentials.repository';
import { TotpFactorSource } from './totp-factor.source';
import { TotpService } from './totp.service';

/** TOTP (RFC 6238): credentials, enrolment and checks, and the 'totp' factor source. */
@Module({
  imports: [KeysModule],
  providers: [TotpCredentialsRepository, TotpService, TotpFactorSource],
  exports: [TotpService],
})
export class TotpModule {}
