import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { retryTransaction } from '../database/retry-transaction';
import { Clock } from '../common/clock';
import type { RequestOrigin } from '../common/request-origin';
import { SessionsService } from '../sessions/sessions.service';
import { ClientSessionDetachment } from '../tokens/client-session-detachment';
import { TokensRepository } from '../tokens/tokens.repository';
import { TokensService } from '../tokens/tokens.service';
import type { OAuthClient } from '../clients/oauth-client.entity';

/**
 * RFC 7009. Revoking a refresh token ends its session (and so every token of the grant, §2.1); a third-party
 * application's ends only its own tokens in that session (the customer's SSO session is not its to end);
 * revoking an access token revokes that token. A token of another client, or an unknown one, changes
 * nothing and still answers 200, so the endpoint reveals nothing about tokens it did not issue to you.
 */
@Injectable()
export class TokenRevocationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tokens: TokensService,
    private readonly tokenRows: TokensRepository,
    private readonly sessions: SessionsService,
    private readonly detachment: ClientSessionDetachment,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async revoke(client: OAuthClient, token: string, origin: RequestOrigin): Promise<void> {
    const state = await this.tokens.findState(token);
    if (!state) return;
    await retryTransaction(this.dataSource, async (tx) => {
      const base = {
        actor: { type: 'CLIENT' as const, id: client.clientId },
        cupid: state.cupid,
        sessionId: state.sessionId,
        clientId: client.clientId,
        ip: origin.ip,
        userAgent: origin.userAgent,
      };
      if (state.clientId !== client.clientId) {
        await this.audit.record(tx, {
          ...base,
          type: AUDIT_EVENT_TYPES.TOKEN_REVOKED,
          outcome: 'FAILURE',
          details: { tokenType: state.type, reason: 'issued to another client' },
        });
        return;
      }
      if (state.type === 'REFRESH' && state.sessionId && !client.firstParty) {
        // A third-party application (issue 16) shares the customer's SSO session with the bank's own apps: its
        // revocation ends its own grant, never the customer's session. It leaves the session as a deactivated
        // client does: its tokens there revoked, and out of the session's client list, so it no longer shows in
        // the customer's sessions nor receives the session's back-channel logout.
        await this.detachment.leave(
          tx,
          client.clientId,
          { sessionIds: [state.sessionId] },
          this.clock.now(),
          'revoked by client',
        );
      } else if (state.type === 'REFRESH' && state.sessionId) {
        await this.sessions.revoke(
          state.sessionId,
          { type: 'CLIENT', id: client.clientId },
          'refresh token revoked by client',
          origin,
          tx,
        );
      } else {
        await this.tokenRows.revokeById(tx, state.id, this.clock.now(), 'revoked by client');
      }
      await this.audit.record(tx, {
        ...base,
        type: AUDIT_EVENT_TYPES.TOKEN_REVOKED,
        outcome: 'SUCCESS',
        details: { tokenType: state.type },
      });
    });
  }
}
