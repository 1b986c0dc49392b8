import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { ConsentsModule } from '../consents/consents.module';
import { SessionsModule } from '../sessions/sessions.module';
import { CLIENT_DEACTIVATION_STEPS, ClientDeactivationStep } from './client-deactivation-steps';
import { ClientDeactivationService } from './client-deactivation.service';
import { ConsentDeactivationStep } from './consent-deactivation.step';
import { ConsentRevocationService } from './consent-revocation.service';
import { TokensModule } from './tokens.module';

/**
 * Deactivation with its cascade; apart from ClientsModule, which every protocol endpoint reads. It lives in
 * tokens, the module that may depend on both clients and sessions: in clients it would make clients and
 * sessions depend on each other (module walls, .dependency-cruiser.cjs). Consent revocation (issue 16 item 2) is
 * here for the same reason: it ends tokens and needs the clients and the consent records.
 */
@Module({
  imports: [ClientsModule, SessionsModule, TokensModule, ConsentsModule],
  providers: [
    ClientDeactivationService,
    ConsentRevocationService,
    ConsentDeactivationStep,
    {
      // The further cascade steps, run in this order after sessions and tokens: the customers' consents.
      provide: CLIENT_DEACTIVATION_STEPS,
      inject: [ConsentDeactivationStep],
      useFactory: (consents: ConsentDeactivationStep): ClientDeactivationStep[] => [consents],
    },
  ],
  exports: [ClientDeactivationService, ConsentRevocationService],
})
export class ClientDeactivationModule {}
