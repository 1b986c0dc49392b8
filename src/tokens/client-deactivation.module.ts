import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { TokensModule } from './tokens.module';
import { ClientDeactivationService } from './client-deactivation.service';
import { ClientsModule } from '../clients/clients.module';

/** Deactivation with its cascade; apart from ClientsModule, which every protocol endpoint reads. */
@Module({
  imports: [ClientsModule, SessionsModule, TokensModule],
  providers: [ClientDeactivationService],
  exports: [ClientDeactivationService],
})
export class ClientDeactivationModule {}
