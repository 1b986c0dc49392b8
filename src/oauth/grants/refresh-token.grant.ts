import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { hmacSha256, open, seal, sha256 } from '../../common/crypto';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { isSessionLive, SessionsService } from '../../sessions/sessions.service';
import { TokensRepository } from '../../tokens/tokens.repository';
import { TokenResponse, TokensService } from '../../tokens/tokens.service';
import { InvalidScopeError } from '../oauth-errors';
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
 */
@Injectable()
export class RefreshTokenGrant extends Grant {
  readonly type = 'refresh_token' as const;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly tokenRows: TokensRepository,
    private readonly tokens: TokensService,
    private readonly sessions: SessionsService,
    private readonly refusals: GrantRefusals,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {
    super();
  }

  async execute(request: GrantRequest): Promise<TokenResponse> {
    const { client, params, origin } = request;
    const presented = params.required('refresh_token', 512);
    const requestedScope = params.optional('scope', 1024);

    const outcome = await this.dataSource.transaction(async (tx): Promise<GrantOutcome> => {
      const now = this.clock.now();
      const token = await this.tokenRows.lockRefreshByValueHash(tx, sha256(presented));
      if (!token) return this.refusals.refuse(tx, request, this.type, 'unknown refresh token');
      const subject = { cupid: token.cupid, sessionId: token.sessionId };
      if (token.clientId !== client.clientId) {
        return this.refusals.refuse(tx, request, this.type, 'refresh token was issued to another client', subject);
      }

      if (token.status === 'ROTATED') {
        const graceMs = this.config.tokens.refreshGraceSeconds * 1000;
        const withinGrace = graceMs > 0 && token.rotatedAt !== null && now.getTime() - token.rotatedAt.getTime() <= graceMs;
        if (withinGrace && token.rotationResponse && (await this.tokenRows.findActiveSuccessor(tx, token.id))) {
          const tokens = JSON.parse(open(graceKey(presented), token.rotationResponse, token.id).toString('utf8')) as TokenResponse;
          await this.audit.record(tx, {
            type: AUDIT_EVENT_TYPES.REFRESH_TOKEN_GRACE_RETRY, outcome: 'SUCCESS', actor: { type: 'CLIENT', id: client.clientId },
            ...subject, clientId: client.clientId, ip: origin.ip, userAgent: origin.userAgent,
            details: { familyId: token.familyId, rotatedAt: token.rotatedAt?.toISOString() },
          });
          return { tokens };
        }
        const familyRevoked = await this.tokenRows.revokeFamily(tx, token.familyId!, now, 'refresh token reuse detected');
        if (token.sessionId) {
          await this.sessions.revoke(token.sessionId, { type: 'SYSTEM', id: 'reuse-detection' }, 'refresh token reuse detected', origin, tx);
        }
        await this.audit.record(tx, {
          type: AUDIT_EVENT_TYPES.REFRESH_TOKEN_REUSE_DETECTED, outcome: 'FAILURE', actor: { type: 'CLIENT', id: client.clientId },
          ...subject, clientId: client.clientId, ip: origin.ip, userAgent: origin.userAgent,
          details: { familyId: token.familyId, rotatedAt: token.rotatedAt?.toISOString(), familyTokensRevoked: familyRevoked },
        });
        return this.refusals.refuse(tx, request, this.type, 'refresh token was already used', subject);
      }

      if (token.status !== 'ACTIVE' || token.expiresAt <= now) {
        return this.refusals.refuse(tx, request, this.type, 'refresh token is expired or revoked', subject);
      }
      // The locked row already carries its session's state: no second lookup on this hot path.
      const live = isSessionLive({ status: token.sessionStatus, idleExpiresAt: token.sessionIdleExpiresAt, absoluteExpiresAt: token.sessionAbsoluteExpiresAt }, now);
      if (!token.sessionId || !live) return this.refusals.refuse(tx, request, this.type, 'the session has ended', subject);
      const session = {
        id: token.sessionId, cupid: token.cupid!, authTime: token.sessionAuthTime!, amr: token.sessionAmr ?? [], acr: token.sessionAcr,
        idleExpiresAt: token.sessionIdleExpiresAt!, absoluteExpiresAt: token.sessionAbsoluteExpiresAt!,
      };

      const scope = narrowScope(token.scope, requestedScope);
      const tokens = await this.tokens.issueForSession(tx, {
        client, session, scope, grantType: this.type, rotation: { familyId: token.familyId!, parentId: token.id },
      }, origin);
      await this.tokenRows.markRotated(tx, token.id, now, seal(graceKey(presented), Buffer.from(JSON.stringify(tokens)), token.id));
      await this.sessions.touch(tx, session.id, client);
      await this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.REFRESH_TOKEN_ROTATED, outcome: 'SUCCESS', actor: { type: 'CLIENT', id: client.clientId },
        ...subject, clientId: client.clientId, ip: origin.ip, userAgent: origin.userAgent,
        details: { familyId: token.familyId, parentId: token.id },
      });
      return { tokens };
    });
    return this.refusals.settle(outcome);
  }
}

/** The key that seals a rotation's response: derivable only from the refresh token that was rotated. */
function graceKey(presentedRefreshToken: string): Buffer {
  return hmacSha256(presentedRefreshToken, 'ciam:refresh-rotation-grace:v1');
}

/** RFC 6749 §6: a refresh may ask for fewer scopes than were granted, never more. */
function narrowScope(granted: string, requested: string | undefined): string {
  if (requested === undefined) return granted;
  const grantedSet = new Set(granted.split(' ').filter(Boolean));
  const asked = [...new Set(requested.split(' ').filter(Boolean))];
  const beyond = asked.filter((scope) => !grantedSet.has(scope));
  if (beyond.length > 0) throw new InvalidScopeError(`scope exceeds what was granted: ${beyond.join(' ')}`);
  return asked.join(' ');
}
