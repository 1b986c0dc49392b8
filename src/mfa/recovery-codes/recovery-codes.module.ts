import { Module } from '@nestjs/common';
import { KeysModule } from '../../keys/keys.module';
import { RecoveryCodesFactorSource } from './recovery-codes-factor.source';
import { RecoveryCodesRepository } from './recovery-codes.repository';
import { RecoveryCodesService } from './recovery-codes.service';

/** Recovery codes: batches, single use, and the 'recovery_codes' factor source. */
@Module({
  imports: [KeysModule],
  providers: [RecoveryCodesRepository, RecoveryCodesService, RecoveryCodesFactorSource],
  exports: [RecoveryCodesService],
})
export class RecoveryCodesModule {}
