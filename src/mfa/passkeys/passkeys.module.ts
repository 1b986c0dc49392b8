import { Module } from '@nestjs/common';
import { PasskeyRelyingParty } from './relying-party';
import { PasskeysRepository } from './passkeys.repository';
import { PasskeysService } from './passkeys.service';

/** Passkeys (WebAuthn): the credentials, the relying party's ceremonies, and the 'passkey' factor source. */
@Module({
  providers: [PasskeysRepository, PasskeyRelyingParty, PasskeysService],
  exports: [PasskeysRepository, PasskeyRelyingParty, PasskeysService],
})
export class PasskeysModule {}
