import { Module } from '@nestjs/common';
import { PasskeyRelyingParty } from './relying-party';
import { PasskeyRecordsModule } from './passkey-records.module';
import { PasskeysService } from './passkeys.service';

/** Passkeys (WebAuthn): the credentials, the relying party's ceremonies, and the 'passkey' factor source. */
@Module({
  imports: [PasskeyRecordsModule],
  providers: [PasskeyRelyingParty, PasskeysService],
  exports: [PasskeyRecordsModule, PasskeyRelyingParty, PasskeysService],
})
export class PasskeysModule {}
