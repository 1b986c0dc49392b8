import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { SessionsToLeave } from '../sessions/sessions.repository';
import { SessionsService } from '../sessions/sessions.service';
import { TokensRepository } from './tokens.repository';

export interface SessionsLeft {
  /** The sessions the client left (it was in their client list, and they were live). */
  sessionIds: string[];
  /** The client's tokens revoked under the sessions. */
  tokensRevoked: number;
}

/**
 * A client leaves single sign-on sessions without ending them: it is taken out of their client list (so it no
 * longer shows in the customer's sessions nor receives their back-channel logout) and its tokens under them are
 * revoked, in the caller's transaction, so there is no moment where it has left but its tokens still work, nor
 * one where its tokens are dead but it is still told about the session. The ONE way a client leaves a session:
 * a deactivated client leaves the sessions it shares (ClientDeactivationService), a third-party application
 * that revokes its refresh token (RFC 7009) leaves that token's session (src/oauth TokenRevocationService).
 * Here in tokens, which may call sessions (never the reverse).
 */
@Injectable()
export class ClientSessionDetachment {
  constructor(
    private readonly sessions: SessionsService,
    private readonly tokens: TokensRepository,
  ) {}

  async leave(
    tx: EntityManager,
    clientId: string,
    from: SessionsToLeave,
    at: Date,
    reason: string,
  ): Promise<SessionsLeft> {
    if ('sessionIds' in from) {
      // A live client may be refreshing under these sessions: the one lock order (a token's row, then its
      // session's; TokensRepository.rotateRefresh), and the tokens again once the sessions are held, for a
      // rotation that committed while the first statement waited on its parent (READ COMMITTED: that statement
      // never sees the child; one after the session lock does, and a later rotation finds its parent revoked).
      // The sessions named are left by their tokens even when the list no longer held the client.
      const first = await this.tokens.revokeForClientInSessions(tx, clientId, from.sessionIds, at, reason);
      const sessionIds = await this.sessions.detachClient(tx, clientId, from);
      const late = await this.tokens.revokeForClientInSessions(tx, clientId, from.sessionIds, at, reason);
      return { sessionIds, tokensRevoked: first + late };
    }
    // A deactivated client: nothing of it is refreshed any more (every token statement is guarded by its row).
    const sessionIds = await this.sessions.detachClient(tx, clientId, from);
    const tokensRevoked = await this.tokens.revokeForClientInSessions(tx, clientId, sessionIds, at, reason);
    return { sessionIds, tokensRevoked };
  }
}
