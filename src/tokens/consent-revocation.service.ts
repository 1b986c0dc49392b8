import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import type { AuditActor } from '../audit/audit-actor';
import { AuditService } from '../audit/audit.service';
import { ClientsService } from '../clients/clients.service';
import { Clock } from '../common/clock';
import type { RequestOrigin } from '../common/request-origin';
import { ConsentRecordsRepository } from '../consents/consent-records.repository';
import { retryTransaction } from '../database/retry-transaction';
import { OutboxService } from '../outbox/outbox.service';
import { AuthorizationCodesRepository } from './authorization-codes.repository';
import { TokensRepository } from './tokens.repository';

/**
 * The outbox channel src/logout delivers a back-channel logout token on (BACKCHANNEL_LOGOUT_CHANNEL there; the
 * tokens module sits below logout and cannot import it, test/oauth/consent.e2e-spec.ts proves the two agree).
 */
const BACKCHANNEL_LOGOUT_CHANNEL = 'backchannel_logout';

export interface ConsentRevocation {
  cupid: string;
  clientId: string;
  /** The scopes to withdraw (those not live are left alone), or null: the client's whole consent. */
  scopes: readonly string[] | null;
  by: AuditActor;
  reason: string;
  origin?: RequestOrigin;
  /** The journey that withdrew them (scopes unticked at its CONSENT step), for the audit event. */
  contextId?: string;
}

export interface ConsentRevocationOutcome {
  scopes: string[];
  tokensRevoked: number;
  codesDeleted: number;
}

/** Who hears of the revoked tokens by back-channel logout (one message per session). */
export interface ConsentRevocationNotice {
  /** The client registered a back-channel logout URI. */
  backchannel: boolean;
  /**
   * A session the client is being handed new tokens for right now (the journey that withdrew): told it logged out,
   * the client would end the sign-in the customer is completing. Its revoked tokens still die.
   */
  sparedSessionId?: string | null;
}

/**
 * Withdrawing consent (issue 16 item 2) takes effect at once, in ONE transaction: the records are revoked, the
 * customer's tokens of that client that depend on them are revoked (all of them and every unredeemed code for the
 * whole consent; those whose scope names a withdrawn one otherwise), the event is audited, and the client is told
 * by back-channel logout (one message per affected session, through the outbox: no network call in the
 * transaction). Introspection, userinfo and refresh read the token row, so they fail from the commit on. It lives
 * in tokens because tokens own what consent makes valid (consents, a lower module, knows nothing of tokens). The
 * one way to withdraw: /me/consents, the agents' API and the CONSENT step (a granted scope left unticked) all
 * come here; the step through `revokeIn`, in its own transaction.
 */
@Injectable()
export class ConsentRevocationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly consents: ConsentRecordsRepository,
    private readonly tokens: TokensRepository,
    private readonly codes: AuthorizationCodesRepository,
    private readonly clients: ClientsService,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** null: nothing live to withdraw (no such consent, or withdrawn already). */
  async revoke(revocation: ConsentRevocation): Promise<ConsentRevocationOutcome | null> {
    // Read before the transaction (the client cache): whether anyone listens for the back-channel logout.
    const client = await this.clients.findActive(revocation.clientId);
    const notice = { backchannel: Boolean(client?.backchannelLogoutUri) };
    return retryTransaction(this.dataSource, (tx) => this.revokeIn(tx, revocation, notice));
  }

  /**
   * The withdrawal inside the caller's transaction `tx`: it commits or rolls back with the caller's work. Costs one
   * statement when nothing named is live. null: nothing was.
   */
  async revokeIn(
    tx: EntityManager,
    revocation: ConsentRevocation,
    notice: ConsentRevocationNotice,
  ): Promise<ConsentRevocationOutcome | null> {
    const { cupid, clientId } = revocation;
    const at = this.clock.now();
    const scopes = await this.consents.revoke(tx, cupid, clientId, revocation.scopes, at);
    if (scopes.length === 0) return null;
    const whole = revocation.scopes === null;
    const reason = whole ? 'consent revoked' : `consent revoked: ${scopes.join(' ')}`;
    // Only what was live is withdrawn: a token naming a scope never on record (a first-party client's) stays.
    const consent = { cupid, clientId, scopes: whole ? null : scopes };
    // Revocation wins every race. The codes go first: an exchange already spending one holds its row, this
    // waits for it, and the tokens it issued are visible to the statements below (READ COMMITTED: each
    // statement sees what committed before it); an exchange after this finds no code. Then the tokens, twice:
    // a refresh rotation that committed while the first UPDATE waited on its parent row left a child that only
    // a later statement sees; a rotation after the first UPDATE finds its parent REVOKED and issues nothing.
    const codesDeleted = await this.codes.deleteUnredeemedForConsent(tx, consent);
    const first = await this.tokens.revokeForConsent(tx, consent, at, reason);
    const late = first.count > 0 ? await this.tokens.revokeForConsent(tx, consent, at, reason) : first;
    const revoked = {
      count: first.count + (late === first ? 0 : late.count),
      sessionIds: [...new Set([...first.sessionIds, ...late.sessionIds])].sort(),
    };
    const sessions = notice.backchannel ? revoked.sessionIds.filter((sid) => sid !== notice.sparedSessionId) : [];
    await this.outbox.enqueue(
      tx,
      sessions.map((sid) => ({
        channel: BACKCHANNEL_LOGOUT_CHANNEL,
        destination: clientId,
        orderingKey: null,
        payload: { sid, cupid },
      })),
    );
    await this.audit.record(tx, {
      type: AUDIT_EVENT_TYPES.CONSENT_REVOKED,
      outcome: 'SUCCESS',
      actor: revocation.by,
      cupid,
      clientId,
      contextId: revocation.contextId ?? null,
      ip: revocation.origin?.ip ?? null,
      userAgent: revocation.origin?.userAgent ?? null,
      details: {
        scopes,
        tokensRevoked: revoked.count,
        codesDeleted,
        sessions: sessions.length,
        reason: revocation.reason,
      },
    });
    return { scopes, tokensRevoked: revoked.count, codesDeleted };
  }
}
