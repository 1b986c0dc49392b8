import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { retryTransaction } from '../database/retry-transaction';
import { ClientsService } from '../clients/clients.service';
import { ConsentRecordsRepository } from '../consents/consent-records.repository';
import { SessionsService } from '../sessions/sessions.service';
import { TokensRepository } from './tokens.repository';

export interface DeactivationOutcome {
  /** The client was active until now (false: it already was inactive; the cascade still runs to finish an interrupted one). */
  changed: boolean;
  sessionsRevoked: number;
  tokensRevoked: number;
}

const BATCH = 500;

/**
 * Deactivating a client ends everything it holds: first the client row (from then on it can neither
 * authenticate nor refresh), then every active session it is in, opened or joined by SSO (their tokens die with them), then the
 * tokens it holds for itself (client_credentials, which have no session). Each step runs in bounded,
 * short transactions and is audited; running it again finishes an interrupted run.
 */
@Injectable()
export class ClientDeactivationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clients: ClientsService,
    private readonly sessions: SessionsService,
    private readonly tokens: TokensRepository,
    private readonly consents: ConsentRecordsRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async deactivate(clientId: string, actorId = 'cli'): Promise<DeactivationOutcome> {
    const changed = await this.clients.deactivate(clientId, actorId);
    const by = { type: 'SYSTEM' as const, id: actorId };
    const sessionsRevoked = await this.sessions.revokeAllForClient(clientId, by, 'client deactivated', BATCH);
    let tokensRevoked = 0;
    for (;;) {
      const revoked = await retryTransaction(this.dataSource, async (tx) => {
        const count = await this.tokens.revokeBatchSessionlessForClient(
          tx,
          clientId,
          this.clock.now(),
          'client deactivated',
          BATCH,
        );
        if (count > 0) {
          await this.audit.record(tx, {
            type: AUDIT_EVENT_TYPES.TOKEN_REVOKED,
            outcome: 'SUCCESS',
            actor: by,
            clientId,
            details: { tokenType: 'ACCESS', reason: 'client deactivated', count },
          });
        }
        return count;
      });
      tokensRevoked += revoked;
      if (revoked < BATCH) break;
    }
    // Its consents end too (issue 16 item 2): a reactivated client asks again. The tokens died above.
    for (;;) {
      const withdrawn = await retryTransaction(this.dataSource, async (tx) => {
        const count = await this.consents.revokeBatchForClient(tx, clientId, this.clock.now(), BATCH);
        if (count > 0)
          await this.audit.record(tx, {
            type: AUDIT_EVENT_TYPES.CONSENT_REVOKED,
            outcome: 'SUCCESS',
            actor: by,
            clientId,
            details: {
              scopes: null,
              records: count,
              tokensRevoked: 0,
              codesDeleted: 0,
              sessions: 0,
              reason: 'client deactivated',
            },
          });
        return count;
      });
      if (withdrawn < BATCH) break;
    }
    return { changed, sessionsRevoked, tokensRevoked };
  }
}
