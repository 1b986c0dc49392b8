import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { PseudonymsModule } from '../pseudonyms/pseudonyms.module';
import { TokensModule } from '../tokens/tokens.module';
import { BackchannelLogoutHandlers, SESSION_ENDED_LISTENERS } from './backchannel-logout.handlers';
import { sessionRevokedSignal } from './session-revoked.signal';

/**
 * OpenID Connect Back-Channel Logout 1.0: the outbox handlers that tell a session's clients it ended (and
 * Shared Signals receivers, as CAEP session-revoked, when it was revoked). Mounted
 * by the service (not the CLI: an operator command delivers nothing).
 */
@Module({
  imports: [TokensModule, ClientsModule, PseudonymsModule],
  providers: [{ provide: SESSION_ENDED_LISTENERS, useValue: [sessionRevokedSignal] }, BackchannelLogoutHandlers],
})
export class LogoutModule {}
