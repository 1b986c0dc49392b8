import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { TokensModule } from '../tokens/tokens.module';
import { BackchannelLogoutHandlers, SESSION_ENDED_LISTENERS } from './backchannel-logout.handlers';

/**
 * OpenID Connect Back-Channel Logout 1.0: the outbox handlers that tell a session's clients it ended. Mounted
 * by the service (not the CLI: an operator command delivers nothing).
 */
@Module({
  imports: [TokensModule, ClientsModule],
  providers: [{ provide: SESSION_ENDED_LISTENERS, useValue: [] }, BackchannelLogoutHandlers],
})
export class LogoutModule {}
