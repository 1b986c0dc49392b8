import { ConsentsModule } from '../consents/consents.module';
import { Module } from '@nestjs/common';
import { JourneysModule } from '../journeys/journeys.module';
import { SessionsModule } from '../sessions/sessions.module';
import { TokensModule } from '../tokens/tokens.module';
import { AuthorizeController } from './authorize.controller';
import { ClientAuthenticator } from './client-authentication';
import { ClientsModule } from '../clients/clients.module';
import { PseudonymsModule } from '../pseudonyms/pseudonyms.module';
import { KeysModule } from '../keys/keys.module';
import { IdTokenHints } from './id-token-hint';
import { CorsPolicy } from './cors-policy';
import { DiscoveryController } from './discovery.controller';
import { EndSessionController } from './end-session.controller';
import { EndSessionService } from './end-session.service';
import { SsoService } from './sso.service';
import { AuthorizationCodeGrant } from './grants/authorization-code.grant';
import { ClientCredentialsGrant } from './grants/client-credentials.grant';
import { RefreshTokenGrant } from './grants/refresh-token.grant';
import { GrantRefusals } from './grants/refusals';
import { IntrospectionController } from './introspection.controller';
import { RevocationController } from './revocation.controller';
import { TokenRevocationService } from './token-revocation.service';
import { TokenController } from './token.controller';
import { UserinfoController } from './userinfo.controller';
import { ClientAssertionVerifier } from './proofs/client-assertion';
import { ClientKeys } from './proofs/client-keys';
import { DpopVerifier } from './proofs/dpop';

/** The OAuth 2.0 / OpenID Connect protocol endpoints. */
@Module({
  // KeysModule: DPoP's server nonces are keyed from the key-encryption key (proofs/dpop.ts).
  imports: [ClientsModule, TokensModule, SessionsModule, JourneysModule, ConsentsModule, PseudonymsModule, KeysModule],
  controllers: [
    AuthorizeController,
    DiscoveryController,
    TokenController,
    IntrospectionController,
    RevocationController,
    UserinfoController,
    EndSessionController,
  ],
  providers: [
    CorsPolicy,
    ClientAuthenticator,
    GrantRefusals,
    AuthorizationCodeGrant,
    RefreshTokenGrant,
    ClientCredentialsGrant,
    TokenRevocationService,
    EndSessionService,
    SsoService,
    ClientKeys,
    ClientAssertionVerifier,
    DpopVerifier,
    IdTokenHints,
  ],
  exports: [ClientsModule, CorsPolicy, ClientAuthenticator],
})
export class OAuthModule {}
