import { Logger, Module } from '@nestjs/common';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { ApiTokensRepository } from './api-tokens.repository';
import { ApiTokensService } from './api-tokens.service';
import { AuthorizationCodesRepository } from './authorization-codes.repository';
import { AuthorizationCodesService } from './authorization-codes.service';
import { CustomerTokenVerifier } from '../sessions/customer-token-verifier.port';
import { TokensCustomerVerifier } from './customer-token-verifier';
import { FactorKeys } from '../common/factor-keys';
import { hkdfSha256, KeyDerivation } from '../common/key-derivation';
import { KekFactorKeys } from './keys/factor-keys';
import { KEY_ENCRYPTION_KEY, resolveKeyEncryptionKey } from './keys/key-encryption-key';
import type { KeyEncryptionKey } from './keys/key-encryption-key';
import { SigningKeysRepository } from './keys/signing-keys.repository';
import { SigningKeysService } from './keys/signing-keys.service';
import { TokensRepository } from './tokens.repository';
import { TokensService } from './tokens.service';
import { UsedJtisRepository } from './used-jtis.repository';
import { ClientsModule } from '../clients/clients.module';
import { PseudonymsModule } from '../pseudonyms/pseudonyms.module';
import { SessionsModule } from '../sessions/sessions.module';
import { ClientSessionDetachment } from './client-session-detachment';

@Module({
  // The token checks ask whether a token's client is still active (ClientsService's cache, no statement); a
  // pairwise client's sid is computed by src/pseudonyms; a client leaving a session (ClientSessionDetachment)
  // writes the session's client list.
  imports: [ClientsModule, PseudonymsModule, SessionsModule],
  providers: [
    {
      provide: KEY_ENCRYPTION_KEY,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        resolveKeyEncryptionKey(config, (message) => new Logger('KeyEncryptionKey').warn(message)),
    },
    SigningKeysRepository,
    SigningKeysService,
    TokensRepository,
    TokensService,
    UsedJtisRepository,
    ApiTokensRepository,
    ApiTokensService,
    AuthorizationCodesRepository,
    AuthorizationCodesService,
    ClientSessionDetachment,
    { provide: CustomerTokenVerifier, useClass: TokensCustomerVerifier },
    {
      provide: FactorKeys,
      inject: [KEY_ENCRYPTION_KEY],
      useFactory: (kek: KeyEncryptionKey) => new KekFactorKeys(kek),
    },
    {
      // HKDF keys of the current key-encryption key (pairwise pseudonyms and sids, src/pseudonyms), and of the
      // previous one during its change.
      provide: KeyDerivation,
      inject: [KEY_ENCRYPTION_KEY],
      useFactory: (kek: KeyEncryptionKey): KeyDerivation => ({
        derive: (info) => hkdfSha256(kek.key, info),
        derivePrevious: (info) => (kek.previous ? hkdfSha256(kek.previous.key, info) : null),
      }),
    },
  ],
  exports: [
    KEY_ENCRYPTION_KEY,
    ApiTokensRepository,
    SigningKeysService,
    TokensRepository,
    TokensService,
    UsedJtisRepository,
    ApiTokensService,
    AuthorizationCodesRepository,
    AuthorizationCodesService,
    CustomerTokenVerifier,
    ClientSessionDetachment,
    FactorKeys,
    KeyDerivation,
  ],
})
export class TokensModule {}
