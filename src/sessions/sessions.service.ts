import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import type { AuditActor } from '../audit/audit-actor';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { sha256 } from '../common/crypto';
import type { RequestOrigin } from '../common/request-origin';
import { APP_CONFIG } from '../config/config';
import { retryTransaction } from '../database/retry-transaction';
import type { AppConfig } from '../config/config';
import type { OAuthClient } from '../clients/oauth-client.entity';
import { Session } from './session.entity';
import { SessionsRepository, SessionsToLeave } from './sessions.repository';

export interface NewSession {
  cupid: string;
  client: OAuthClient;
  amr: string[];
  acr?: string | null;
  contextId?: string | null;
  trustedDeviceId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** SHA-256 of the provider session cookie the browser gets with this session (SSO); null: no cookie. */
  cookieHash?: Buffer | null;
}

/** Who revokes: the audit actor (audit/audit-actor.ts, shared with devices). */
export type RevokedBy = AuditActor;

/** Sessions: one signed-in device of a customer, with idle and absolute expiry and revocation. */
@Injectable()
export class SessionsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly sessions: SessionsRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  idleTtlSeconds(client: OAuthClient): number {
    return client.sessionIdleTtlSeconds ?? this.config.sessions.idleTtlSeconds;
  }

  /** Opens a session inside the caller's transaction (the journey that authenticated the customer). */
  async create(manager: EntityManager, input: NewSession): Promise<Session> {
    const now = this.clock.now();
    const absolute = input.client.sessionAbsoluteTtlSeconds ?? this.config.sessions.absoluteTtlSeconds;
    const idle = Math.min(this.idleTtlSeconds(input.client), absolute);
    const session = await this.sessions.insert(manager, {
      cupid: input.cupid,
      clientId: input.client.clientId,
      amr: input.amr,
      acr: input.acr ?? null,
      contextId: input.contextId ?? null,
      trustedDeviceId: input.trustedDeviceId ?? null,
      ipAddress: input.ip ?? null,
      userAgent: input.userAgent ?? null,
      authTime: now,
      createdAt: now,
      lastUsedAt: now,
      idleExpiresAt: new Date(now.getTime() + idle * 1000),
      absoluteExpiresAt: new Date(now.getTime() + absolute * 1000),
      // The journey that opened it asked the directory about this customer just now.
      directoryCheckedAt: now,
      cookieHash: input.cookieHash ?? null,
    });
    await this.audit.record(manager, {
      type: AUDIT_EVENT_TYPES.SESSION_CREATED,
      outcome: 'SUCCESS',
      actor: { type: 'CUSTOMER', id: input.cupid },
      cupid: input.cupid,
      sessionId: session.id,
      contextId: input.contextId,
      clientId: input.client.clientId,
      ip: input.ip,
      userAgent: input.userAgent,
      details: { amr: input.amr, acr: input.acr ?? null },
    });
    return session;
  }

  /**
   * A refresh's use of its session: slides the idle expiry and row-locks the session for the rest of the
   * refresh's transaction; null when the session is no longer live (revoked or expired, even a moment
   * ago by a concurrent revocation). `directoryCheckedAt` records a fresh "may still sign in" answer.
   */
  touchLive(manager: EntityManager, sessionId: string, client: OAuthClient, directoryCheckedAt: Date | null = null) {
    return this.sessions.touchLive(
      manager,
      sessionId,
      this.clock.now(),
      this.idleTtlSeconds(client),
      directoryCheckedAt,
    );
  }

  /**
   * touchLive as an SQL fragment for a refresh's single rotation statement (issue 14): applied only when the
   * caller's condition `when` holds; its four parameters start at `firstParam`.
   */
  touchLiveFragment(
    firstParam: number,
    when: string,
    sessionId: string,
    client: OAuthClient,
    directoryCheckedAt: Date | null,
  ): { text: string; values: unknown[] } {
    return this.sessions.touchLiveFragment(firstParam, when, {
      id: sessionId,
      now: this.clock.now(),
      idleTtlSeconds: this.idleTtlSeconds(client),
      directoryCheckedAt,
    });
  }

  /**
   * Revokes a session, in one transaction with its audit event; false when it was not active. Joins the
   * caller's transaction when given one.
   *
   * Only the session row is written (docs/architecture.md, rule 9): every use of a token (refresh, introspection,
   * userinfo, the self-service API) joins its session and refuses a token whose session is not live, so
   * the tokens stop working the moment this commits. Writing the tokens too would lock session then
   * tokens, the reverse of a refresh (token then session), and the two would deadlock.
   */
  async revoke(
    sessionId: string,
    by: RevokedBy,
    reason: string,
    origin: Partial<RequestOrigin> = {},
    manager?: EntityManager,
  ): Promise<boolean> {
    const work = async (tx: EntityManager) => {
      const session = await this.sessions.revoke(tx, sessionId, this.revocation(by, reason));
      if (!session) return false;
      await this.recordRevoked(tx, [{ ...session, id: sessionId }], by, origin, { reason });
      return true;
    };
    return manager ? work(manager) : retryTransaction(this.dataSource, work);
  }

  /**
   * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the customer ends the session their ID
   * token names. One transaction revokes it (when still active) and records `logout` with whether it was;
   * a logout of an ended session is still a logout the customer asked for, so it is audited too.
   */
  logout(
    sessionId: string | null,
    cupid: string,
    clientId: string,
    origin: Partial<RequestOrigin> = {},
  ): Promise<{ sessionWasActive: boolean }> {
    const customer: RevokedBy = { type: 'CUSTOMER', id: cupid };
    return retryTransaction(this.dataSource, async (tx) => {
      // null: the hint's session is no longer in the table (deleted after its retention): nothing to end.
      const sessionWasActive = sessionId !== null && (await this.revoke(sessionId, customer, 'logout', origin, tx));
      await this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.LOGOUT,
        outcome: 'SUCCESS',
        actor: customer,
        cupid,
        sessionId,
        clientId,
        ip: origin.ip,
        userAgent: origin.userAgent,
        details: { sessionWasActive },
      });
      return { sessionWasActive };
    });
  }

  /** Revokes every active session of a customer, optionally keeping one (the caller's own). Joins the caller's transaction when given one. */
  async revokeAllForCupid(
    cupid: string,
    by: RevokedBy,
    reason: string,
    exceptSessionId?: string,
    origin: Partial<RequestOrigin> = {},
    manager?: EntityManager,
  ): Promise<number> {
    const work = async (tx: EntityManager) => {
      const revoked = await this.sessions.revokeAllForCupid(tx, cupid, this.revocation(by, reason), exceptSessionId);
      await this.recordRevoked(
        tx,
        revoked.map((session) => ({ ...session, cupid })),
        by,
        origin,
        { reason, allSessions: true },
      );
      return revoked.length;
    };
    return manager ? work(manager) : retryTransaction(this.dataSource, work);
  }

  /** Inside the device's revocation: ends every session the device opened or was bound in. */
  async revokeForDevice(
    manager: EntityManager,
    deviceId: string,
    by: RevokedBy,
    reason: string,
    origin: Partial<RequestOrigin> = {},
  ): Promise<number> {
    const revoked = await this.sessions.revokeForDevice(manager, deviceId, this.revocation(by, reason));
    await this.recordRevoked(manager, revoked, by, origin, { reason, deviceId });
    return revoked.length;
  }

  /**
   * The client leaves the sessions (`from`: the ones named, or a batch of those other clients share) in the
   * caller's transaction, which revokes the client's tokens under them (ClientSessionDetachment, src/tokens):
   * the sessions, and the customer's sign-in to their other clients, go on without it. Returns the ids of the
   * sessions it left.
   */
  detachClient(manager: EntityManager, clientId: string, from: SessionsToLeave): Promise<string[]> {
    return this.sessions.detachClient(manager, clientId, from);
  }

  /**
   * Ends every active session of a client (deactivation), in bounded batches of short transactions so no
   * lock is held for long; each session's end is audited. Returns how many.
   */
  async revokeAllForClient(clientId: string, by: RevokedBy, reason: string, batchSize = 500): Promise<number> {
    let total = 0;
    for (;;) {
      const revoked = await retryTransaction(this.dataSource, async (tx) => {
        const rows = await this.sessions.revokeBatchForClient(tx, clientId, this.revocation(by, reason), batchSize);
        await this.recordRevoked(
          tx,
          rows.map((session) => ({ ...session, clientId })),
          by,
          {},
          { reason },
        );
        return rows.length;
      });
      total += revoked;
      if (revoked < batchSize) return total;
    }
  }

  /** What a revoked session row records: when, by whom (`TYPE:id`), why. */
  private revocation(by: RevokedBy, reason: string): { at: Date; by: string; reason: string } {
    return { at: this.clock.now(), by: `${by.type}:${by.id}`, reason };
  }

  /** One `session.revoked` event per ended session, in the revoking transaction. */
  private async recordRevoked(
    manager: EntityManager,
    sessions: Array<{ id: string; cupid: string; clientId: string }>,
    by: RevokedBy,
    origin: Partial<RequestOrigin>,
    details: Record<string, unknown>,
  ): Promise<void> {
    for (const session of sessions) {
      await this.audit.record(manager, {
        type: AUDIT_EVENT_TYPES.SESSION_REVOKED,
        outcome: 'SUCCESS',
        actor: by,
        cupid: session.cupid,
        sessionId: session.id,
        clientId: session.clientId,
        ip: origin.ip,
        userAgent: origin.userAgent,
        details,
      });
    }
  }

  /**
   * The live session a provider session cookie names (SSO, issue 15), or null. The cookie is looked up by its
   * SHA-256 (only the hash is stored), so its raw value is never compared or kept.
   */
  findLiveByCookie(cookie: string): Promise<Session | null> {
    return this.sessions.findLiveByCookieHash(sha256(cookie), this.clock.now());
  }

  /** A client signs in under a live session (SSO): the session lists it and its idle expiry slides; false when it ended. */
  async joinClient(manager: EntityManager, sessionId: string, client: OAuthClient): Promise<boolean> {
    const joined = await this.sessions.joinClient(
      manager,
      sessionId,
      client.clientId,
      this.clock.now(),
      this.idleTtlSeconds(client),
    );
    return joined !== null;
  }

  /** Step-up: the session's methods grow and its level rises (same session id); null when it is no longer live. */
  stepUp(
    manager: EntityManager,
    sessionId: string,
    cupid: string,
    change: { amr: string[]; acr: string; cookieHash: Buffer | null; client: OAuthClient },
  ): Promise<Session | null> {
    return this.sessions.stepUp(manager, sessionId, cupid, {
      amr: change.amr,
      acr: change.acr,
      at: this.clock.now(),
      cookieHash: change.cookieHash,
      clientId: change.client.clientId,
    });
  }

  findById(sessionId: string, manager?: EntityManager): Promise<Session | null> {
    return this.sessions.findById(sessionId, manager);
  }

  /**
   * A customer's session ids, newest first: a pairwise client knows a session only by its pseudonym of the id
   * (src/pseudonyms/pairwise-sids.ts), which is one-way, so the way back compares against these. Bounded: a
   * customer with more sessions than that still in the table has the newest compared.
   */
  sessionIdsOf(cupid: string): Promise<string[]> {
    return this.sessions.idsOfCustomer(cupid, 500);
  }
}

/** A session is usable while ACTIVE and before both of its expiries. */
export function isSessionLive(
  session: { status: string | null; idleExpiresAt: Date | null; absoluteExpiresAt: Date | null },
  now: Date,
): boolean {
  return (
    session.status === 'ACTIVE' &&
    !!session.idleExpiresAt &&
    !!session.absoluteExpiresAt &&
    session.idleExpiresAt > now &&
    session.absoluteExpiresAt > now
  );
}
