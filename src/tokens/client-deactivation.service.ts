import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { retryTransaction } from '../database/retry-transaction';
import { ClientAdminActor, clientAdminActor, ClientsService } from '../clients/clients.service';
import { SessionsService } from '../sessions/sessions.service';
import { CLIENT_DEACTIVATION_STEPS, ClientDeactivationStep } from './client-deactivation-steps';
import { AuthorizationCodesRepository } from './authorization-codes.repository';
import { ClientSessionDetachment } from './client-session-detachment';
import { TokensRepository } from './tokens.repository';

export interface DeactivationOutcome {
  /** The client was active until now (false: it already was inactive; the cascade still runs to finish an interrupted one). */
  changed: boolean;
  /** Its authorization codes not redeemed yet, deleted with the deactivation. */
  codesDeleted: number;
  /** Sessions only this client was in, ended. */
  sessionsRevoked: number;
  /** Sessions other clients are in too, which the client left (the customer stays signed in to the others). */
  sessionsLeft: number;
  tokensRevoked: number;
  /** What each further step (CLIENT_DEACTIVATION_STEPS, e.g. consents) ended, by step name. */
  steps: Record<string, number>;
}

const BATCH = 500;
const REASON = 'client deactivated';

/**
 * A client's lifecycle beyond its row: deactivating it ends everything it holds, reactivating it leaves all that
 * ended (reactivate). Deactivating: first the client row (from then on it can neither
 * authenticate nor refresh, and every statement guarded by ClientsService.activeGuard writes nothing for it)
 * with its codes not redeemed yet, in one commit,
 * then the sessions it is in: one that other clients share by SSO only loses this client (its tokens under it
 * are revoked, the customer's sign-in to the others goes on), one only it is in ends (its tokens die with it);
 * then the tokens it holds for itself (client_credentials, which have no session); then the further steps
 * (CLIENT_DEACTIVATION_STEPS). Each step runs in bounded, short transactions and is audited; running it again
 * finishes an interrupted run.
 */
@Injectable()
export class ClientDeactivationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clients: ClientsService,
    private readonly sessions: SessionsService,
    private readonly detachment: ClientSessionDetachment,
    private readonly tokens: TokensRepository,
    private readonly codes: AuthorizationCodesRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @Inject(CLIENT_DEACTIVATION_STEPS) private readonly steps: ClientDeactivationStep[],
  ) {}

  async deactivate(clientId: string, actor: ClientAdminActor | string = 'cli'): Promise<DeactivationOutcome> {
    const by = clientAdminActor(actor);
    // The codes go in the deactivation's own commit: reactivated within a code's lifetime, the client could
    // otherwise redeem one minted before (the exchange checks only that the client is active now).
    const { changed, codesDeleted } = await retryTransaction(this.dataSource, async (tx) => {
      const at = this.clock.now();
      const deleted = await this.codes.deleteRedeemableForClient(tx, clientId, at);
      const deactivated = await this.clients.deactivateIn(tx, clientId, by, { codesDeleted: deleted });
      return { changed: deactivated, codesDeleted: deleted };
    });
    this.clients.forget(clientId);
    const left = await this.leaveSharedSessions(clientId, by);
    const sessionsRevoked = await this.sessions.revokeAllForClient(clientId, by, REASON, BATCH);
    let tokensRevoked = left.tokens;
    for (;;) {
      const revoked = await retryTransaction(this.dataSource, async (tx) => {
        const count = await this.tokens.revokeBatchSessionlessForClient(tx, clientId, this.clock.now(), REASON, BATCH);
        if (count > 0) {
          await this.audit.record(tx, {
            type: AUDIT_EVENT_TYPES.TOKEN_REVOKED,
            outcome: 'SUCCESS',
            actor: by,
            clientId,
            details: { tokenType: 'ACCESS', reason: REASON, count },
          });
        }
        return count;
      });
      tokensRevoked += revoked;
      if (revoked < BATCH) break;
    }
    // Further cascade steps (consents, issue 16 item 2) plug in through CLIENT_DEACTIVATION_STEPS.
    const steps: Record<string, number> = {};
    for (const step of this.steps) steps[step.name] = await step.run(clientId, by);
    return { changed, codesDeleted, sessionsRevoked, sessionsLeft: left.sessions, tokensRevoked, steps };
  }

  /**
   * Serves a deactivated client again. What its deactivation ended stays ended, and so does a code minted for it
   * while it was inactive (a journey already under way when the deactivation committed can still complete and
   * mint one): its codes not redeemed yet are deleted in the reactivation's commit (`codesDeleted` in the
   * client.reactivated audit). `changed` false when it was active already (nothing deleted then).
   */
  async reactivate(
    clientId: string,
    actor: ClientAdminActor | string = 'cli',
  ): Promise<{ changed: boolean; codesDeleted: number }> {
    const by = clientAdminActor(actor);
    const outcome = await retryTransaction(this.dataSource, async (tx) => {
      let codesDeleted = 0;
      const changed = await this.clients.reactivateIn(tx, clientId, by, async (locked) => {
        codesDeleted = await this.codes.deleteRedeemableForClient(locked, clientId, this.clock.now());
        return { codesDeleted };
      });
      return { changed, codesDeleted };
    });
    this.clients.forget(clientId);
    return outcome;
  }

  /**
   * The SSO sessions other clients are in too: the client leaves them and its tokens under them are revoked,
   * in one transaction per batch (no moment where it has left but its tokens still work).
   */
  private async leaveSharedSessions(
    clientId: string,
    by: { type: 'AGENT' | 'SYSTEM'; id: string },
  ): Promise<{ sessions: number; tokens: number }> {
    const total = { sessions: 0, tokens: 0 };
    for (;;) {
      const batch = await retryTransaction(this.dataSource, async (tx) => {
        const left = { shared: true as const, limit: BATCH };
        const { sessionIds, tokensRevoked: count } = await this.detachment.leave(
          tx,
          clientId,
          left,
          this.clock.now(),
          REASON,
        );
        if (sessionIds.length > 0) {
          await this.audit.record(tx, {
            type: AUDIT_EVENT_TYPES.TOKEN_REVOKED,
            outcome: 'SUCCESS',
            actor: by,
            clientId,
            details: { tokenType: 'SESSION', reason: REASON, count, sessionsLeft: sessionIds.length },
          });
        }
        return { sessions: sessionIds.length, tokens: count };
      });
      total.sessions += batch.sessions;
      total.tokens += batch.tokens;
      if (batch.sessions < BATCH) return total;
    }
  }
}
