import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { SessionsModule } from '../sessions/sessions.module';
import { CLIENT_DEACTIVATION_STEPS, ClientDeactivationStep } from './client-deactivation-steps';
import { ClientDeactivationService } from './client-deactivation.service';
import { TokensModule } from './tokens.module';

/**
 * Deactivation with its cascade; apart from ClientsModule, which every protocol endpoint reads. It lives in
 * tokens, the module that may depend on both clients and sessions: in clients it would make clients and
 * sessions depend on each other (module walls, .dependency-cruiser.cjs).
 */
@Module({
  imports: [ClientsModule, SessionsModule, TokensModule],
  providers: [
    ClientDeactivationService,
    {
      // The further cascade steps, run in this order after sessions and tokens. Consents (issue 16 item 2):
      // import the consent module above, inject its step here (`inject: [ConsentDeactivationStep]`) and return it.
      provide: CLIENT_DEACTIVATION_STEPS,
      useFactory: (): ClientDeactivationStep[] => [],
    },
  ],
  exports: [ClientDeactivationService],
})
export class ClientDeactivationModule {}
