import { Module } from '@nestjs/common';
import { ApiTokensRepository } from './api-tokens.repository';
import { ApiTokensService } from './api-tokens.service';
import { AuthorizationCodesRepository } from './authorization-codes.repository';
import { AuthorizationCodesService } from './authorization-codes.service';
import { CustomerTokenVerifier } from '../sessions/customer-token-verifier.port';
import { TokensCustomerVerifier } from './customer-token-verifier';
import { KeysModule } from '../keys/keys.module';
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
  // writes the session's client list; the signing keys are sealed with the key-encryption key (KeysModule).
  imports: [ClientsModule, PseudonymsModule, SessionsModule, KeysModule],
  providers: [
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
  ],
  exports: [
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
  ],
})
export class TokensModule {}
