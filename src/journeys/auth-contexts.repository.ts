import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { deferWrite, rowsOf } from '../database/sql';
import { AuthContext } from './auth-context.entity';

const CONTEXT_COLUMNS = `id, client_id, channel, cupid, status, ip_address, user_agent, device_id, device_data,
  requested_scopes, redirect_uri, state, code_challenge, code_challenge_method, nonce, failure_reason, bind_device,
  device_key_thumbprint, options, created_at, updated_at, expires_at, completed_at`;

/**
 * The journey's columns as `<alias>.<column> AS ctx_<column>`, for a statement of AuthTransactionsRepository
 * that claims or holds a step and locks its journey in the same round trip; read back with contextFromRow.
 */
export function contextColumnsAs(alias: string): string {
  return CONTEXT_COLUMNS.split(',')
    .map((column) => `${alias}.${column.trim()} AS ctx_${column.trim()}`)
    .join(', ');
}

/** The journey from a row selected with contextColumnsAs; null when the row has none. */
export function contextFromRow(row: Record<string, unknown>): AuthContext | null {
  if (row.ctx_id === null || row.ctx_id === undefined) return null;
  const plain = Object.fromEntries(
    Object.entries(row)
      .filter(([key]) => key.startsWith('ctx_'))
      .map(([key, value]) => [key.slice(4), value]),
  );
  return toContext(plain as unknown as ContextRow);
}

interface ContextRow {
  id: string;
  client_id: string;
  channel: AuthContext['channel'];
  cupid: string | null;
  status: AuthContext['status'];
  ip_address: string | null;
  user_agent: string | null;
  device_id: string | null;
  device_data: Record<string, unknown>;
  requested_scopes: string[];
  redirect_uri: string | null;
  state: string | null;
  code_challenge: string | null;
  code_challenge_method: 'S256' | null;
  nonce: string | null;
  failure_reason: string | null;
  bind_device: boolean;
  device_key_thumbprint: string | null;
  options: AuthContext['options'] | null;
  created_at: Date;
  updated_at: Date;
  expires_at: Date;
  completed_at: Date | null;
}

function toContext(row: ContextRow): AuthContext {
  return Object.assign(new AuthContext(), {
    id: row.id,
    clientId: row.client_id,
    channel: row.channel,
    cupid: row.cupid,
    status: row.status,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    deviceId: row.device_id,
    deviceData: row.device_data,
    requestedScopes: row.requested_scopes,
    redirectUri: row.redirect_uri,
    state: row.state,
    codeChallenge: row.code_challenge,
    codeChallengeMethod: row.code_challenge_method,
    nonce: row.nonce,
    failureReason: row.failure_reason,
    bindDevice: row.bind_device,
    deviceKeyThumbprint: row.device_key_thumbprint,
    options: row.options ?? {},
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
    completedAt: row.completed_at,
  } satisfies AuthContext);
}

/**
 * Owns auth_contexts. Inputs are written once (device hints may be added once, by the password step); afterwards
 * only status and CUPID move. The jobs expire and
 * purge contexts through `expireBatch` and `deleteFinishedBatch` here. Not yet its only user:
 * src/risk/risk-signals.repository.ts and src/mfa/push/push-answers.service.ts read it (docs/architecture.md,
 * "Tables and their owners").
 */
@Injectable()
export class AuthContextsRepository {
  /** A new journey's row (PENDING unless given), every column filled in (the id and the defaults too), not yet written. */
  build(context: Partial<AuthContext> & Pick<AuthContext, 'clientId' | 'expiresAt'>): AuthContext {
    const now = new Date();
    return Object.assign(new AuthContext(), {
      id: randomUUID(),
      channel: 'WEB',
      cupid: null,
      status: 'PENDING',
      ipAddress: null,
      userAgent: null,
      deviceId: null,
      deviceData: {},
      requestedScopes: [],
      redirectUri: null,
      state: null,
      codeChallenge: null,
      codeChallengeMethod: null,
      nonce: null,
      failureReason: null,
      bindDevice: false,
      deviceKeyThumbprint: null,
      options: {},
      createdAt: now,
      updatedAt: now,
      completedAt: null,
      ...context,
    } satisfies AuthContext);
  }

  /**
   * The INSERT of a built journey as a fragment for another repository's statement (a data-modifying CTE
   * member: the journey and its first step written in one round trip), parameters from `firstParam`.
   */
  insertFragment(row: AuthContext, firstParam: number): { text: string; values: unknown[] } {
    const values = [
      row.id,
      row.clientId,
      row.channel,
      row.cupid,
      row.status,
      row.ipAddress,
      row.userAgent,
      row.deviceId,
      JSON.stringify(row.deviceData),
      row.requestedScopes,
      row.redirectUri,
      row.state,
      row.codeChallenge,
      row.codeChallengeMethod,
      row.nonce,
      row.failureReason,
      row.bindDevice,
      row.deviceKeyThumbprint,
      JSON.stringify(row.options),
      row.createdAt,
      row.updatedAt,
      row.expiresAt,
      row.completedAt,
    ];
    const params = values.map((_, i) => `$${firstParam + i}`).join(', ');
    return {
      text:
        `INSERT INTO auth_contexts (id, client_id, channel, cupid, status, ip_address, user_agent, device_id, device_data, ` +
        `requested_scopes, redirect_uri, state, code_challenge, code_challenge_method, nonce, failure_reason, bind_device, ` +
        `device_key_thumbprint, options, created_at, updated_at, expires_at, completed_at) VALUES (${params})`,
      values,
    };
  }

  /**
   * A new journey, written now (see build); the row is known without reading it back. `audit`
   * (AuditService.takeFragment, numbered from $24): audit rows written by the same statement (CTE member).
   */
  async insert(
    manager: EntityManager,
    context: Partial<AuthContext> & Pick<AuthContext, 'clientId' | 'expiresAt'>,
    audit: { text: string; values: unknown[] } | null = null,
  ): Promise<AuthContext> {
    const row = this.build(context);
    const insert = this.insertFragment(row, 1);
    await manager.query(audit ? `WITH audit AS (${audit.text}) ${insert.text}` : insert.text, [
      ...insert.values,
      ...(audit?.values ?? []),
    ]);
    return row;
  }

  /** Who the journey has identified so far (null before the password step), read without a lock. */
  async findCupid(manager: EntityManager, id: string): Promise<string | null> {
    const context = await manager
      .getRepository(AuthContext)
      .findOne({ where: { id }, select: { id: true, cupid: true } });
    return context?.cupid ?? null;
  }

  async identify(manager: EntityManager, id: string, cupid: string): Promise<void> {
    await manager.query(
      `UPDATE auth_contexts SET cupid = $2, updated_at = now() WHERE id = $1 AND status = 'PENDING'`,
      [id, cupid],
    );
  }

  /**
   * The device hints a browser gives with its password when /oauth2/authorize opened the journey (the relying
   * party cannot know them): only what the start left unset is filled in, never overwritten, and only before
   * any device step has run (the password is the first step).
   */
  async attachDevice(
    manager: EntityManager,
    id: string,
    device: { deviceId?: string | null; bindDevice?: boolean; deviceKeyThumbprint?: string | null },
  ): Promise<void> {
    await manager.query(
      `UPDATE auth_contexts
          SET device_id = COALESCE(device_id, $2),
              bind_device = bind_device OR $3,
              device_key_thumbprint = COALESCE(device_key_thumbprint, $4)
        WHERE id = $1 AND status = 'PENDING'`,
      [id, device.deviceId ?? null, device.bindDevice ?? false, device.deviceKeyThumbprint ?? null],
    );
  }

  /**
   * Ends the journey; `cupid` (the customer it identified) is written with it, so no separate identify.
   * Deferred in a journey's unit of work (deferWrite): it rides with the step's last statement.
   */
  async complete(manager: EntityManager, id: string, at: Date, cupid: string | null = null): Promise<void> {
    await deferWrite(manager, (first) => ({
      text: `UPDATE auth_contexts SET status = 'COMPLETED', completed_at = $${first + 1}, cupid = COALESCE($${first + 2}, cupid),
               updated_at = now() WHERE id = $${first} AND status = 'PENDING'`,
      values: [id, at, cupid],
    }));
  }

  async fail(manager: EntityManager, id: string, reason: string): Promise<void> {
    await manager
      .getRepository(AuthContext)
      .update({ id, status: 'PENDING' }, { status: 'FAILED', failureReason: reason });
  }

  /** Data lifecycle (expire-contexts job): up to `batch` pending journeys past expiry become EXPIRED. */
  async expireBatch(manager: EntityManager, batch: number, asOf: Date): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(manager, 'SELECT cleanup_expired_contexts($1, $2) AS n', [batch, asOf]);
    return Number(row?.n ?? 0);
  }

  /**
   * Data lifecycle (purge job): finished journeys older than the retention; their transactions and risk
   * evaluations go with them by ON DELETE CASCADE (the foreign keys are the migrations').
   */
  async deleteFinishedBatch(manager: EntityManager, batch: number, asOf: Date, retentionDays: number): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(
      manager,
      'SELECT cleanup_old_journeys(make_interval(days => $3), $1, $2) AS n',
      [batch, asOf, retentionDays],
    );
    return Number(row?.n ?? 0);
  }
}
