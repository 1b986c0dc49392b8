import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { rowsOf } from '../database/sql';
import { Session } from './session.entity';

export interface Revocation {
  at: Date;
  by: string;
  reason: string;
}

/** The only code that touches sessions. */
@Injectable()
export class SessionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(manager: EntityManager, session: Partial<Session>): Promise<Session> {
    const repository = manager.getRepository(Session);
    return repository.save(repository.create(session));
  }

  findById(id: string, manager: EntityManager = this.dataSource.manager): Promise<Session | null> {
    return manager.getRepository(Session).findOneBy({ id });
  }

  /** Slides the idle expiry forward, never past the absolute expiry. */
  async touch(manager: EntityManager, id: string, now: Date, idleTtlSeconds: number): Promise<void> {
    await manager.query(
      `UPDATE sessions
          SET last_used_at = $2,
              idle_expires_at = LEAST($2::timestamptz + make_interval(secs => $3), absolute_expires_at)
        WHERE id = $1 AND status = 'ACTIVE'`,
      [id, now, idleTtlSeconds],
    );
  }

  /** Revokes one active session; null when it was not active (already revoked or expired). */
  async revoke(manager: EntityManager, id: string, revocation: Revocation): Promise<Session | null> {
    const [row] = await rowsOf<{ id: string; cupid: string; client_id: string }>(
      manager,
      `UPDATE sessions SET status = 'REVOKED', revoked_at = $2, revoked_by = $3, revoke_reason = $4
        WHERE id = $1 AND status = 'ACTIVE'
        RETURNING id, cupid, client_id`,
      [id, revocation.at, revocation.by, revocation.reason],
    );
    return row ? ({ id: row.id, cupid: row.cupid, clientId: row.client_id } as Session) : null;
  }

  /** Revokes every active session of a customer (but one); returns the sessions revoked. */
  async revokeAllForCupid(
    manager: EntityManager,
    cupid: string,
    revocation: Revocation,
    exceptSessionId?: string,
  ): Promise<Array<Pick<Session, 'id' | 'clientId'>>> {
    const rows = await rowsOf<{ id: string; client_id: string }>(
      manager,
      `UPDATE sessions SET status = 'REVOKED', revoked_at = $2, revoked_by = $3, revoke_reason = $4
        WHERE cupid = $1 AND status = 'ACTIVE' AND ($5::uuid IS NULL OR id <> $5::uuid)
        RETURNING id, client_id`,
      [cupid, revocation.at, revocation.by, revocation.reason, exceptSessionId ?? null],
    );
    return rows.map((row) => ({ id: row.id, clientId: row.client_id }));
  }

  /** A customer's live sessions, newest first (idx_sessions_cupid). */
  listLive(cupid: string, now: Date): Promise<SessionRow[]> {
    return rowsOf<SessionRow>(
      this.dataSource.manager,
      `SELECT ${SESSION_COLUMNS} FROM sessions
        WHERE cupid = $1 AND status = 'ACTIVE' AND idle_expires_at > $2 AND absolute_expires_at > $2
        ORDER BY created_at DESC, id DESC LIMIT 200`,
      [cupid, now],
    );
  }

  findRow(id: string): Promise<SessionRow | null> {
    return rowsOf<SessionRow>(this.dataSource.manager, `SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = $1`, [id]).then((rows) => rows[0] ?? null);
  }

  /** One page of a customer's sessions, any status, newest first; `before` is the cursor of the last row seen. */
  page(cupid: string, limit: number, before?: { createdAt: string; id: string }): Promise<SessionRow[]> {
    return rowsOf<SessionRow>(
      this.dataSource.manager,
      `SELECT ${SESSION_COLUMNS} FROM sessions
        WHERE cupid = $1 AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $2`,
      [cupid, limit, before?.createdAt ?? null, before?.id ?? null],
    );
  }
}

/** A session as the self-service and agent APIs show it. `cursor` is created_at at full precision. */
export interface SessionRow {
  id: string;
  client_id: string;
  status: string;
  amr: string[];
  acr: string | null;
  ip_address: string | null;
  user_agent: string | null;
  trusted_device_id: string | null;
  created_at: Date;
  last_used_at: Date;
  idle_expires_at: Date;
  absolute_expires_at: Date;
  revoked_at: Date | null;
  revoked_by: string | null;
  revoke_reason: string | null;
  cursor: string;
}

const SESSION_COLUMNS = `id, client_id, status, amr, acr, host(ip_address) AS ip_address, user_agent, trusted_device_id, created_at,
  last_used_at, idle_expires_at, absolute_expires_at, revoked_at, revoked_by, revoke_reason, created_at::text AS cursor`;
