import { Module } from '@nestjs/common';
import { JourneysModule } from '../journeys/journeys.module';
import { EmailModule } from '../mfa/email/email.module';
import { TotpModule } from '../mfa/totp/totp.module';
import { RecoveryCodesModule } from '../mfa/recovery-codes/recovery-codes.module';
import { SessionsModule } from '../sessions/sessions.module';
import { CustomerAuthGuard } from './customer-auth.guard';
import { TokensModule } from '../tokens/tokens.module';
import { ApiTokensController } from './api-tokens.controller';
import { FactorsController } from './factors.controller';
import { FactorsService } from './factors.service';
import { EmailController } from './email.controller';
import { FreshAuthGuard } from './fresh-auth.guard';
import { MeController } from './me.controller';
import { StepUpController } from './step-up.controller';
import { TotpController } from './totp.controller';
import { PasskeysModule } from '../mfa/passkeys/passkeys.module';
import { PasskeysController } from './passkeys.controller';
import { RecoveryCodesController } from './recovery-codes.controller';
import { OAuthModule } from '../oauth/oauth.module';
import { ServiceApiTokensController } from './service-api-tokens.controller';
import { FederationModule } from '../federation/federation.module';
import { FederationLinksController } from './federation-links.controller';
import { FederationTokensController } from './federation-tokens.controller';
import { ConsentsModule } from '../consents/consents.module';
import { ClientDeactivationModule } from '../tokens/client-deactivation.module';
import { ClientsModule } from '../clients/clients.module';
import { ConsentsController } from './consents.controller';

/**
 * Customer self-service (`/me`): an HTTP API over the sessions and devices domains, beside agents/. The
 * domain modules never import it; its bearer check reaches the tokens module only through the
 * CustomerTokenVerifier port, which TokensModule provides.
 */
@Module({
  imports: [
    SessionsModule,
    JourneysModule,
    EmailModule,
    TotpModule,
    RecoveryCodesModule,
    TokensModule,
    PasskeysModule,
    OAuthModule,
    FederationModule,
    ConsentsModule,
    ClientDeactivationModule,
    ClientsModule,
  ],
  controllers: [
    MeController,
    ServiceApiTokensController,
    StepUpController,
    EmailController,
    TotpController,
    RecoveryCodesController,
    FactorsController,
    ApiTokensController,
    PasskeysController,
    FederationLinksController,
    FederationTokensController,
    ConsentsController,
  ],
  providers: [CustomerAuthGuard, FreshAuthGuard, FactorsService],
  exports: [FreshAuthGuard, FactorsService],
})
export class MeModule {}
