import { OutboxService } from '../../outbox/outbox.service';
import { securityEventMessage, SET_EVENT_TYPES } from '../../outbox/security-events';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditEvent, AuditService } from '../../audit/audit.service';
import { ClientsService } from '../../clients/clients.service';
import { Clock } from '../../common/clock';
import { hmacSha256, open, seal, sha256 } from '../../common/crypto';
import type { RequestOrigin } from '../../common/request-origin';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { retryTransaction } from '../../database/retry-transaction';
import { DirectoryUnavailableError, UserDirectory } from '../../directory/user-directory.port';
import { isSessionLive, SessionsService } from '../../sessions/sessions.service';
import { TokensRepository, TokenState } from '../../tokens/tokens.repository';
import { TokenResponse, TokensService } from '../../tokens/tokens.service';
import { InvalidClientError, InvalidScopeError, ServerUnavailableError } from '../oauth-errors';
import { Grant, GrantOutcome, GrantRequest } from './grant';
import { GrantRefusals } from './refusals';

/**
 * RFC 6749 §6 with rotation on every use and reuse detection (RFC 9700 §4.14.2).
 *
 * The presented token's row is locked, so concurrent refreshes with one token queue and exactly one
 * rotates it. A retry with the token just rotated, by the same client within the grace window, gets
 * the same successor back (decrypted from the rotated row, sealed with a key only the presented token
 * derives), so a lost response or a race never forks the family or logs the customer out. Outside the
 * window, or once the successor has itself been used, presenting a rotated token is theft: the family
 * and its session are revoked.
 *
 * Lock order, the same for every change to a session and its tokens: the refresh token, then its
 * session. A revocation writes only the session row, so it either commits first (the refresh's
 * conditional touch of the session then finds it ended and issues nothing) or waits for the refresh
 * and ends the session the successor belongs to (and every use of a token checks its session).
 *
 * Before that transaction, with no database connection held, the directory is asked whether the
 * customer may still sign in (at least once per REFRESH_DIRECTORY_CHECK_SECONDS; 0: every refresh).
 */
@Injectable()
export class RefreshTokenGrant extends Grant {
  readonly type = 'refresh_token' as const;
  private readonly logger = new Logger(RefreshTokenGrant.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly tokenRows: TokensRepository,
    private readonly tokens: TokensService,
    private readonly sessions: SessionsService,
    private readonly directory: UserDirectory,
    private readonly refusals: GrantRefusals,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly clients: ClientsService,
    private readonly outbox: OutboxService,
  ) {
    super();
  }

  async execute(request: GrantRequest): Promise<TokenResponse> {
    const presented = request.params.required('refresh_token', 512);
    const requestedScope = request.params.optional('scope', 1024);
    const state = await this.tokenRows.findStateByValueHash(sha256(presented));
    const directoryCheckedAt = await this.checkDirectory(request, state);
    if (state && this.rotatable(state, request)) {
      const fast = await this.rotateInOneStatement(request, state, presented, requestedScope, directoryCheckedAt);
      if (fast) return this.refusals.settle(fast);
    }
    // Everything else (unknown, foreign, rotated: a retry or a theft, expired, revoked, or a race the single
    // statement lost), under the row lock of the presented token, with the refusal and its audit.
    const outcome = await retryTransaction(this.dataSource, (tx) =>
      this.rotate(tx, request, presented, requestedScope, directoryCheckedAt),
    );
    return this.refusals.settle(outcome);
  }

  /** The common case, as the row read before any lock says: an active refresh token of this client, its session live. */
  private rotatable(state: TokenState, request: GrantRequest): boolean {
    const now = this.clock.now();
    return (
      state.type === 'REFRESH' &&
      state.status === 'ACTIVE' &&
      state.clientId === request.client.clientId &&
      dpopKeyHolds(state, request) &&
      state.expiresAt > now &&
      state.sessionId !== null &&
      state.cupid !== null &&
      state.familyId !== null &&
      state.sessionAuthTime !== null &&
      state.sessionAbsoluteExpiresAt !== null &&
      sessionLive(state, now)
    );
  }

  /**
   * The rotation as ONE statement (TokensRepository.rotateRefresh, issue 14): the new tokens are signed
   * first, from the row read before, and the statement writes them only if the presented token is still
   * ACTIVE when it takes its row lock and its session is still live when it takes the session's. Undefined
   * when the token was no longer rotatable (a concurrent rotation won, or it was revoked meanwhile): the
   * caller then decides under the row lock, as before.
   */
  private async rotateInOneStatement(
    request: GrantRequest,
    state: TokenState,
    presented: string,
    requestedScope: string | undefined,
    directoryCheckedAt: Date | null,
  ): Promise<GrantOutcome | undefined> {
    const { client, origin } = request;
    const scope = narrowScope(state.scope, requestedScope);
    const sessionId = state.sessionId!;
    const prepared = await this.tokens.prepareForSession(
      {
        client,
        session: {
          id: sessionId,
          cupid: state.cupid!,
          authTime: state.sessionAuthTime!,
          amr: state.sessionAmr ?? [],
          acr: state.sessionAcr,
          idleExpiresAt: state.sessionIdleExpiresAt!,
          absoluteExpiresAt: state.sessionAbsoluteExpiresAt!,
        },
        // Refresh keeps the grant's sub (a pairwise pseudonym rides the token rows; no read).
        subject: state.subject,
        scope,
        refreshScope: state.scope,
        grantType: this.type,
        rotation: { familyId: state.familyId!, parentId: state.id },
        dpopJkt: request.dpopJkt,
        refreshDpopJkt: state.dpopJkt,
      },
      origin,
    );
    const subject = { cupid: state.cupid, sessionId };
    const rotatedEvent = rotated(client.clientId, subject, origin, state, scope);
    const result = await this.tokenRows.rotateRefresh(
      {
        id: state.id,
        sessionId,
        at: this.clock.now(),
        rotationResponse: seal(graceKey(presented), Buffer.from(JSON.stringify(prepared.response)), state.id),
        rows: prepared.rows,
      },
      {
        clientActive: (first) => this.clients.activeGuard(client, first),
        session: (first, when) => this.sessions.touchLiveFragment(first, when, sessionId, client, directoryCheckedAt),
        audit: (first, when) => this.audit.fragment([prepared.audit, rotatedEvent], first, { when }),
      },
    );
    if (!result.clientActive) {
      // Deactivated (or its secret changed) since this instance cached it: as if it had not authenticated.
      this.clients.forget(client.clientId);
      throw new InvalidClientError('client authentication failed');
    }
    if (result.issued) return { tokens: prepared.response };
    if (!result.rotated) return undefined;
    // The session ended between the read and the statement (a revocation committed first): nothing was issued.
    return retryTransaction(this.dataSource, (tx) =>
      this.refusals.refuse(tx, request, this.type, 'the session has ended', subject),
    );
  }

  /**
   * The directory's word on the customer, asked with no connection held (a slow directory must not hold
   * the pool). Returns when the answer was taken (to record on the session), or null when no question was
   * due or the token is not one this refresh will rotate (the transaction refuses it). A locked, disabled
   * or removed customer loses every session, audited; a directory that does not answer fails closed with
   * 503 temporarily_unavailable (unless the session's last answer is within the outage grace), and the
   * refresh token stays unused so the client can retry.
   */
  private async checkDirectory(request: GrantRequest, state: TokenState | null): Promise<Date | null> {
    const now = this.clock.now();
    if (!state || state.type !== 'REFRESH' || state.status !== 'ACTIVE' || state.clientId !== request.client.clientId)
      return null;
    if (!state.cupid || !state.sessionId || state.expiresAt <= now || !sessionLive(state, now)) return null;
    const intervalMs = this.config.tokens.refreshDirectoryCheckSeconds * 1000;
    const checkedAt = state.sessionDirectoryCheckedAt;
    if (intervalMs > 0 && checkedAt && now.getTime() - checkedAt.getTime() < intervalMs) return null;

    let user;
    try {
      user = await this.directory.findByCupid(state.cupid);
    } catch (error) {
      if (!(error instanceof DirectoryUnavailableError)) throw error;
      // A directory outage must not sign out every customer at once: a session the directory vouched for
      // recently keeps refreshing through a short outage (the same exposure as a longer check interval);
      // past the grace, fail closed and keep the refresh token unused for the client's retry.
      const graceMs = this.config.tokens.refreshDirectoryOutageGraceSeconds * 1000;
      if (graceMs > 0 && checkedAt && now.getTime() - checkedAt.getTime() <= graceMs) {
        this.logger.warn(
          { sessionId: state.sessionId, checkedAt: checkedAt.toISOString() },
          'directory unavailable on refresh: allowed within the outage grace',
        );
        return null;
      }
      throw new ServerUnavailableError();
    }
    if (user?.status === 'ACTIVE') return now;

    const reason = user
      ? `customer ${user.status.toLowerCase()} in the directory`
      : 'customer no longer in the directory';
    const cupid = state.cupid;
    const outcome = await retryTransaction(this.dataSource, async (tx) => {
      await this.sessions.revokeAllForCupid(
        cupid,
        { type: 'SYSTEM', id: 'directory-check' },
        reason,
        undefined,
        request.origin,
        tx,
      );
      // Shared Signals (RISC): disabled, or gone from the directory; a lock is temporary and signals nothing.
      if (!user || user.status === 'DISABLED')
        await this.outbox.enqueue(tx, [
          securityEventMessage({
            type: user ? SET_EVENT_TYPES.ACCOUNT_DISABLED : SET_EVENT_TYPES.ACCOUNT_PURGED,
            cupid,
            occurredAt: now,
          }),
        ]);
      // The client learns only that the session ended; the reason is in the audit trail.
      return this.refusals.refuse(tx, request, this.type, 'the session has ended', {
        cupid,
        sessionId: state.sessionId,
      });
    });
    this.refusals.settle(outcome); // a refusal: throws invalid_grant once the revocation has committed
    return null;
  }

  private async rotate(
    tx: EntityManager,
    request: GrantRequest,
    presented: string,
    requestedScope: string | undefined,
    directoryCheckedAt: Date | null,
  ): Promise<GrantOutcome> {
    const { client, origin } = request;
    const now = this.clock.now();
    // The client may come from this instance's cache: on this (rare) path, read it in the transaction.
    if (!(await this.clients.findActive(client.clientId, tx))) {
      this.clients.forget(client.clientId);
      throw new InvalidClientError('client authentication failed');
    }
    const token = await this.tokenRows.lockRefreshByValueHash(tx, sha256(presented));
    if (!token) return this.refusals.refuse(tx, request, this.type, 'unknown refresh token');
    const subject = { cupid: token.cupid, sessionId: token.sessionId };
    if (token.clientId !== client.clientId) {
      return this.refusals.refuse(tx, request, this.type, 'refresh token was issued to another client', subject);
    }
    // RFC 9449 §5: a bound refresh token is good only with a proof of its key. Checked before reuse detection:
    // whoever holds a stolen bound token without the key cannot make the family be revoked either.
    if (!dpopKeyHolds(token, request)) {
      return this.refusals.refuse(tx, request, this.type, 'refresh token is bound to another DPoP key', subject);
    }

    if (token.status === 'ROTATED') {
      const graceMs = this.config.tokens.refreshGraceSeconds * 1000;
      const withinGrace =
        graceMs > 0 && token.rotatedAt !== null && now.getTime() - token.rotatedAt.getTime() <= graceMs;
      if (withinGrace && token.rotationResponse && (await this.tokenRows.findActiveSuccessor(tx, token.id))) {
        // A retry never outlives its session: once revoked, the successor is not handed out again. The
        // session is read under its lock (after the token's, the one order), not from the token's snapshot.
        if (!token.sessionId || !(await this.sessions.touchLive(tx, token.sessionId, client))) {
          return this.refusals.refuse(tx, request, this.type, 'the session has ended', subject);
        }
        const tokens = JSON.parse(
          open(graceKey(presented), token.rotationResponse, token.id).toString('utf8'),
        ) as TokenResponse;
        await this.audit.record(tx, {
          type: AUDIT_EVENT_TYPES.REFRESH_TOKEN_GRACE_RETRY,
          outcome: 'SUCCESS',
          actor: { type: 'CLIENT', id: client.clientId },
          ...subject,
          clientId: client.clientId,
          ip: origin.ip,
          userAgent: origin.userAgent,
          details: { familyId: token.familyId, rotatedAt: token.rotatedAt?.toISOString() },
        });
        return { tokens };
      }
      const familyRevoked = await this.tokenRows.revokeFamily(tx, token.familyId!, now, 'refresh token reuse detected');
      if (token.sessionId) {
        await this.sessions.revoke(
          token.sessionId,
          { type: 'SYSTEM', id: 'reuse-detection' },
          'refresh token reuse detected',
          origin,
          tx,
        );
      }
      await this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.REFRESH_TOKEN_REUSE_DETECTED,
        outcome: 'FAILURE',
        actor: { type: 'CLIENT', id: client.clientId },
        ...subject,
        clientId: client.clientId,
        ip: origin.ip,
        userAgent: origin.userAgent,
        details: {
          familyId: token.familyId,
          rotatedAt: token.rotatedAt?.toISOString(),
          familyTokensRevoked: familyRevoked,
        },
      });
      return this.refusals.refuse(tx, request, this.type, 'refresh token was already used', subject);
    }

    if (token.status !== 'ACTIVE' || token.expiresAt <= now) {
      return this.refusals.refuse(tx, request, this.type, 'refresh token is expired or revoked', subject);
    }
    if (!token.sessionId || !token.cupid)
      return this.refusals.refuse(tx, request, this.type, 'the session has ended', subject);
    const scope = narrowScope(token.scope, requestedScope);
    // Touch (and lock) the session before issuing anything: a revocation that committed a moment ago is
    // seen here, whatever the token row said when it was read.
    const live = await this.sessions.touchLive(tx, token.sessionId, client, directoryCheckedAt);
    if (!live) return this.refusals.refuse(tx, request, this.type, 'the session has ended', subject);
    const session = {
      id: token.sessionId,
      cupid: token.cupid,
      authTime: token.sessionAuthTime!,
      amr: token.sessionAmr ?? [],
      acr: token.sessionAcr,
      idleExpiresAt: live.idleExpiresAt,
      absoluteExpiresAt: live.absoluteExpiresAt,
    };

    const tokens = await this.tokens.issueForSession(
      tx,
      {
        client,
        session,
        subject: token.subject,
        scope,
        refreshScope: token.scope,
        grantType: this.type,
        rotation: { familyId: token.familyId!, parentId: token.id },
        dpopJkt: request.dpopJkt,
        refreshDpopJkt: token.dpopJkt,
      },
      origin,
    );
    await this.tokenRows.markRotated(
      tx,
      token.id,
      now,
      seal(graceKey(presented), Buffer.from(JSON.stringify(tokens)), token.id),
    );
    await this.audit.record(tx, rotated(client.clientId, subject, origin, token, scope));
    return { tokens };
  }
}

/** The rotation's audit event, the same from the one-statement path and the locked path. */
function rotated(
  clientId: string,
  subject: { cupid: string | null; sessionId: string | null },
  origin: RequestOrigin,
  parent: { id: string; familyId: string | null; scope: string },
  scope: string,
): AuditEvent {
  return {
    type: AUDIT_EVENT_TYPES.REFRESH_TOKEN_ROTATED,
    outcome: 'SUCCESS',
    actor: { type: 'CLIENT', id: clientId },
    ...subject,
    clientId,
    ip: origin.ip,
    userAgent: origin.userAgent,
    details: { familyId: parent.familyId, parentId: parent.id, ...(scope !== parent.scope ? { scope } : {}) },
  };
}

/**
 * RFC 9449 §5: a refresh token bound to a DPoP key (the family's first request carried a proof) is refreshed
 * only with a proof of that same key; an unbound one by whoever authenticates as its client, as before.
 */
function dpopKeyHolds(token: TokenState, request: GrantRequest): boolean {
  return token.dpopJkt === null || token.dpopJkt === request.dpopJkt;
}

function sessionLive(state: TokenState, now: Date): boolean {
  return isSessionLive(
    {
      status: state.sessionStatus,
      idleExpiresAt: state.sessionIdleExpiresAt,
      absoluteExpiresAt: state.sessionAbsoluteExpiresAt,
    },
    now,
  );
}

/** The key that seals a rotation's response: derivable only from the refresh token that was rotated. */
function graceKey(presentedRefreshToken: string): Buffer {
  return hmacSha256(presentedRefreshToken, 'ciam:refresh-rotation-grace:v1');
}

/**
 * RFC 6749 §6: a refresh may ask for fewer scopes than were granted, never more. The narrower scope goes
 * into this response's access and ID tokens only; the new refresh token keeps the original grant.
 */
function narrowScope(granted: string, requested: string | undefined): string {
  if (requested === undefined) return granted;
  const grantedSet = new Set(granted.split(' ').filter(Boolean));
  const asked = [...new Set(requested.split(' ').filter(Boolean))];
  if (asked.length === 0) throw new InvalidScopeError('scope, when given, names at least one granted scope');
  const beyond = asked.filter((scope) => !grantedSet.has(scope));
  if (beyond.length > 0) throw new InvalidScopeError(`scope exceeds what was granted: ${beyond.join(' ')}`);
  return asked.join(' ');
}
