import { Logger, Module } from '@nestjs/common';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { FactorKeys } from './factor-keys';
import { KekFactorKeys } from './kek-factor-keys';
import { KeyDerivation, kekKeyDerivation } from './key-derivation';
import { KEY_ENCRYPTION_KEY, resolveKeyEncryptionKey } from './key-encryption-key';
import type { KeyEncryptionKey } from './key-encryption-key';

/**
 * The key-encryption key and the keys derived from it: a low module (it imports only the platform) that every
 * module needing a server key imports and injects, so the dependency is in its imports, checked by the module
 * walls, and a missing provider stops the start rather than the first use. The signing keys it seals stay in
 * src/tokens/keys (the tokens module's own).
 */
@Module({
  providers: [
    {
      provide: KEY_ENCRYPTION_KEY,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        resolveKeyEncryptionKey(config, (message) => new Logger('KeyEncryptionKey').warn(message)),
    },
    {
      provide: FactorKeys,
      inject: [KEY_ENCRYPTION_KEY],
      useFactory: (kek: KeyEncryptionKey) => new KekFactorKeys(kek),
    },
    // HKDF keys (pairwise pseudonyms and sids, src/pseudonyms).
    { provide: KeyDerivation, inject: [KEY_ENCRYPTION_KEY], useFactory: kekKeyDerivation },
  ],
  exports: [KEY_ENCRYPTION_KEY, FactorKeys, KeyDerivation],
})
export class KeysModule {}
