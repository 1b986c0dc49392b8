import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditActor } from '../audit/audit-actor';
import type { SqlFragment } from '../audit/audit-log.repository';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { sha256 } from '../common/crypto';
import { CustomerNotifier } from '../common/customer-notifier';
import type { RequestOrigin } from '../common/request-origin';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { ApiTokensRepository } from './api-tokens.repository';
import type { ApiTokenRow } from './api-tokens.repository';
import type { IntrospectionResponse } from './tokens.service';

/** Every API token starts so: secret scanners (and our introspection) recognise one at a glance. */
export const API_TOKEN_PREFIX = 'ciam_at_';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Named, long-lived API tokens (issue 17, item 8): `ciam_at_` + 256 random bits (base64url), shown once and
 * stored only as their SHA-256 (a database read yields nothing usable); scopes, an expiry, blocked and revoked
 * flags. Introspected like access tokens (RFC 7662). The last use is recorded at most once per
 * API_TOKEN_LAST_USED_INTERVAL_SECONDS per token (a memory of this instance's last write, then a conditional
 * UPDATE for the others): never a write per request.
 */
@Injectable()
export class ApiTokensService {
  private readonly lastWritten = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly tokens: ApiTokensRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly notifier: CustomerNotifier,
  ) {}

  /** A customer's own token; the value is returned here and never again. */
  createForCustomer(
    cupid: string,
    request: { name: string; scopes: string[]; expiresInDays: number },
    origin: RequestOrigin,
  ): Promise<{ row: ApiTokenRow; token: string }> {
    return this.create({ ...request, cupid }, origin, {
      owner: (tx, at) => this.tokens.customerOwner(tx, cupid, at),
      audit: { actor: { type: 'CUSTOMER', id: cupid } },
    });
  }

  /**
   * A token a service (an OAuth client with the `api_tokens:manage` scope) holds on behalf of a customer: owned by
   * the service, speaking for the customer (agents see it in the customer's listing). Audited with the client as
   * the actor; the customer is notified as for their own tokens.
   */
  createForService(
    clientId: string,
    request: { cupid: string; name: string; scopes: string[]; expiresInDays: number },
    origin: RequestOrigin,
  ): Promise<{ row: ApiTokenRow; token: string }> {
    return this.create(request, origin, {
      owner: (tx, at) => this.tokens.serviceOwner(tx, clientId, at),
      audit: { actor: { type: 'CLIENT', id: clientId }, clientId },
      details: { ownerType: 'SERVICE' },
    });
  }

  /** One token for `request.cupid`, owned by `by.owner`: inserted and audited in one transaction, then the notice. */
  private async create(
    request: { cupid: string; name: string; scopes: string[]; expiresInDays: number },
    origin: RequestOrigin,
    by: {
      owner: (tx: EntityManager, at: Date) => Promise<string>;
      audit: { actor: { type: 'CUSTOMER' | 'CLIENT'; id: string }; clientId?: string };
      details?: Record<string, unknown>;
    },
  ): Promise<{ row: ApiTokenRow; token: string }> {
    const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const now = this.clock.now();
    const row = await this.dataSource.transaction(async (tx) => {
      const inserted = await this.tokens.insert(tx, {
        ownerId: await by.owner(tx, now),
        cupid: request.cupid,
        name: request.name,
        hash: sha256(token),
        scopes: [...new Set(request.scopes)],
        at: now,
        expiresAt: new Date(now.getTime() + request.expiresInDays * 86400_000),
      });
      await this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.API_TOKEN_CREATED,
        outcome: 'SUCCESS',
        ...by.audit,
        cupid: request.cupid,
        ip: origin.ip,
        userAgent: origin.userAgent,
        details: {
          tokenId: inserted.id,
          name: inserted.name,
          scopes: inserted.scopes,
          expiresAt: inserted.expires_at,
          ...by.details,
        },
      });
      return inserted;
    });
    await this.notifier.notify(request.cupid, 'api_token.created', { name: row.name });
    return { row, token };
  }

  listForService(clientId: string, cupid: string | null): Promise<ApiTokenRow[]> {
    return this.tokens.listForService(clientId, cupid);
  }

  /** Revokes a live token the service owns; null when it has none with this id. */
  async revokeForService(clientId: string, id: string, origin: RequestOrigin): Promise<ApiTokenRow | null> {
    if (!UUID.test(id)) return null;
    return this.dataSource.transaction(async (tx) => {
      const row = await this.tokens.revokeForService(tx, clientId, id, `CLIENT:${clientId}`, this.clock.now());
      if (row)
        await this.audit.record(tx, {
          type: AUDIT_EVENT_TYPES.API_TOKEN_REVOKED,
          outcome: 'SUCCESS',
          actor: { type: 'CLIENT', id: clientId },
          clientId,
          cupid: row.cupid,
          ip: origin.ip,
          userAgent: origin.userAgent,
          details: { tokenId: id, reason: 'revoked by the owning service' },
        });
      return row;
    });
  }

  list(cupid: string, includeRevoked = false): Promise<ApiTokenRow[]> {
    return this.tokens.listForCustomer(cupid, includeRevoked);
  }

  /** Revokes (for good) or blocks (an agent's hold) one token of the customer; null when there is no such live token. */
  async end(
    change: 'revoke' | 'block',
    cupid: string,
    id: string,
    actor: AuditActor,
    reason: string,
    origin: RequestOrigin,
  ): Promise<ApiTokenRow | null> {
    if (!UUID.test(id)) return null;
    return this.dataSource.transaction(async (tx) => {
      const by = `${actor.type}:${actor.id}`;
      const now = this.clock.now();
      const row =
        change === 'revoke'
          ? await this.tokens.revoke(tx, cupid, id, by, now)
          : await this.tokens.block(tx, cupid, id, by, now);
      if (row)
        await this.audit.record(tx, {
          type: change === 'revoke' ? AUDIT_EVENT_TYPES.API_TOKEN_REVOKED : AUDIT_EVENT_TYPES.API_TOKEN_BLOCKED,
          outcome: 'SUCCESS',
          actor,
          cupid,
          ip: origin.ip,
          userAgent: origin.userAgent,
          details: { tokenId: id, reason },
        });
      return row;
    });
  }

  /**
   * RFC 7662 for an API token (TokensService.introspect sends those with the prefix here): one statement that
   * also checks the introspecting client (null: it is no longer active). Inactive says only `active: false`.
   */
  async introspect(token: string, callerGuard: SqlFragment): Promise<IntrospectionResponse | null> {
    const found = await this.tokens.findGuarded(sha256(token), callerGuard);
    if (!found.guard) return null;
    const row = found.token;
    const now = this.clock.now();
    if (!row || row.revoked_at || row.blocked_at || (row.expires_at && row.expires_at <= now)) return { active: false };
    await this.noteUse(row, now);
    return {
      active: true,
      scope: row.scopes.join(' '),
      ...(row.owner_client_id ? { client_id: row.owner_client_id } : {}),
      sub: row.cupid ?? row.owner_client_id ?? undefined,
      ...(row.expires_at ? { exp: Math.floor(row.expires_at.getTime() / 1000) } : {}),
      iat: Math.floor(row.created_at.getTime() / 1000),
      token_type: 'api_token',
      iss: this.config.oidc.issuer,
      jti: row.id,
    };
  }

  /** At most one write per token per interval on this instance; the UPDATE's condition covers the other instances. */
  private async noteUse(row: ApiTokenRow, now: Date): Promise<void> {
    const intervalMs = this.config.apiTokens.lastUsedIntervalSeconds * 1000;
    const last = Math.max(this.lastWritten.get(row.id) ?? 0, row.last_used_at?.getTime() ?? 0);
    if (now.getTime() - last < intervalMs) return;
    this.lastWritten.set(row.id, now.getTime());
    if (this.lastWritten.size > 100_000) this.lastWritten.clear(); // bounded memory; the UPDATE's condition still holds
    await this.tokens.touch(row.id, now, new Date(now.getTime() - intervalMs));
  }
}
