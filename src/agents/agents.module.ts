import { ConsentsModule } from '../consents/consents.module';
import { AgentConsentsController } from './agent-consents.controller';
import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { SessionsModule } from '../sessions/sessions.module';
import { MfaLockoutModule } from '../mfa/mfa-lockout.module';
import { SignalsModule } from '../signals/signals.module';
import { AgentSignalsController } from './agent-signals.controller';
import { AgentSubjectsController } from './agent-subjects.controller';
import { PseudonymsModule } from '../pseudonyms/pseudonyms.module';
import { LockoutModule } from '../journeys/lockout/lockout.module';
import { MeModule } from '../me/me.module';
import { TokensModule } from '../tokens/tokens.module';
import { ClientsModule } from '../clients/clients.module';
import { ClientDeactivationModule } from '../tokens/client-deactivation.module';
import { AgentClientsController } from './agent-clients.controller';
import { ClientAdminGuard } from './client-admin.guard';
import { AgentAdminGuard } from './agent-admin.guard';
import { AgentApiTokensController } from './agent-api-tokens.controller';
import { AgentRecoveryController } from './agent-recovery.controller';
import { AgentRecoveryService } from './agent-recovery.service';
import { FactorResetRecordsModule } from './factor-reset-records.module';
import { AgentJwtStrategy } from './agent-jwt.strategy';
import { AgentMfaController } from './agent-mfa.controller';
import { AgentSupportService } from './agent-support.service';
import { AgentController } from './agent.controller';
import { DevSignInController } from './dev-sign-in.controller';
import { WorkforceKeys } from './workforce-keys';
import { FederationModule } from '../federation/federation.module';
import { DirectoryModule } from '../directory/directory.module';
import { AgentFederationController } from './agent-federation.controller';
import { AgentFederationProvidersController } from './agent-federation-providers.controller';

@Module({
  imports: [
    PassportModule,
    SessionsModule,
    MfaLockoutModule,
    SignalsModule,
    LockoutModule,
    MeModule,
    TokensModule,
    FactorResetRecordsModule,
    ClientsModule,
    ClientDeactivationModule,
    FederationModule,
    ConsentsModule,
    PseudonymsModule,
    // The federation link checks the customer exists.
    DirectoryModule,
  ],
  controllers: [
    AgentController,
    AgentMfaController,
    AgentSignalsController,
    AgentRecoveryController,
    AgentApiTokensController,
    DevSignInController,
    AgentClientsController,
    AgentFederationController,
    AgentFederationProvidersController,
    AgentConsentsController,
    AgentSubjectsController,
  ],
  providers: [
    ClientAdminGuard,
    AgentAdminGuard,
    WorkforceKeys,
    AgentJwtStrategy,
    AgentSupportService,
    AgentRecoveryService,
  ],
})
export class AgentsModule {}
