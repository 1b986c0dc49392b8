import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import type { AuditActorType } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import type { RequestOrigin } from '../common/request-origin';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import type { OAuthClient } from '../oauth/clients/oauth-client.entity';
import { TokensRepository } from '../tokens/tokens.repository';
import { Session } from './session.entity';
import { SessionsRepository } from './sessions.repository';

export interface NewSession {
  cupid: string;
  client: OAuthClient;
  amr: string[];
  acr?: string | null;
  contextId?: string | null;
  trustedDeviceId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

export interface RevokedBy {
  type: AuditActorType;
  id: string;
}

/** Sessions: one signed-in device of a customer, with idle and absolute expiry and revocation. */
@Injectable()
export class SessionsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly sessions: SessionsRepository,
    private readonly tokens: TokensRepository,
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
    });
    await this.audit.record(manager, {
      type: AUDIT_EVENT_TYPES.SESSION_CREATED, outcome: 'SUCCESS', actor: { type: 'CUSTOMER', id: input.cupid },
      cupid: input.cupid, sessionId: session.id, contextId: input.contextId, clientId: input.client.clientId,
      ip: input.ip, userAgent: input.userAgent, details: { amr: input.amr, acr: input.acr ?? null },
    });
    return session;
  }

  async touch(manager: EntityManager, sessionId: string, client: OAuthClient): Promise<void> {
    await this.sessions.touch(manager, sessionId, this.clock.now(), this.idleTtlSeconds(client));
  }

  /**
   * Revokes a session and every token it holds, in one transaction with its audit event. Returns false
   * when the session was not active. Joins the caller's transaction when given one.
   */
  async revoke(sessionId: string, by: RevokedBy, reason: string, origin: Partial<RequestOrigin> = {}, manager?: EntityManager): Promise<boolean> {
    const work = async (tx: EntityManager) => {
      const at = this.clock.now();
      const session = await this.sessions.revoke(tx, sessionId, { at, by: `${by.type}:${by.id}`, reason });
      if (!session) return false;
      const tokensRevoked = await this.tokens.revokeForSessions(tx, [sessionId], at, `session revoked: ${reason}`);
      await this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.SESSION_REVOKED, outcome: 'SUCCESS', actor: by, cupid: session.cupid, sessionId,
        clientId: session.clientId, ip: origin.ip, userAgent: origin.userAgent, details: { reason, tokensRevoked },
      });
      return true;
    };
    return manager ? work(manager) : this.dataSource.transaction(work);
  }

  /** Revokes every active session of a customer, optionally keeping one (the caller's own). */
  async revokeAllForCupid(cupid: string, by: RevokedBy, reason: string, exceptSessionId?: string, origin: Partial<RequestOrigin> = {}): Promise<number> {
    return this.dataSource.transaction(async (tx) => {
      const at = this.clock.now();
      const revoked = await this.sessions.revokeAllForCupid(tx, cupid, { at, by: `${by.type}:${by.id}`, reason }, exceptSessionId);
      const tokensRevoked = await this.tokens.revokeForSessions(tx, revoked.map((session) => session.id), at, `session revoked: ${reason}`);
      for (const session of revoked) {
        await this.audit.record(tx, {
          type: AUDIT_EVENT_TYPES.SESSION_REVOKED, outcome: 'SUCCESS', actor: by, cupid, sessionId: session.id,
          clientId: session.clientId, ip: origin.ip, userAgent: origin.userAgent, details: { reason, allSessions: true, tokensRevoked },
        });
      }
      return revoked.length;
    });
  }

  findById(sessionId: string, manager?: EntityManager): Promise<Session | null> {
    return this.sessions.findById(sessionId, manager);
  }
}

/** A session is usable while ACTIVE and before both of its expiries. */
export function isSessionLive(
  session: { status: string | null; idleExpiresAt: Date | null; absoluteExpiresAt: Date | null },
  now: Date,
): boolean {
  return session.status === 'ACTIVE' && !!session.idleExpiresAt && !!session.absoluteExpiresAt &&
    session.idleExpiresAt > now && session.absoluteExpiresAt > now;
}
