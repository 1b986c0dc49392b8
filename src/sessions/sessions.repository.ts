import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { rowsOf, statementRows, takeDeferred, withDeferred } from '../database/sql';
import { Session } from './session.entity';

export interface Revocation {
  at: Date;
  by: string;
  reason: string;
}

/** The sessions a client leaves: the ones named, or a batch of those other clients are in too. */
export type SessionsToLeave = { sessionIds: string[] } | { shared: true; limit: number };

/**
 * Owns sessions: every write, the jobs' too (they call `expireBatch` and `deleteEndedBatch` here). Others
 * read it: every token use joins it
 * (src/tokens/tokens.repository.ts, by design) and src/risk/risk-signals.repository.ts (docs/architecture.md,
 * "Tables and their owners").
 */
@Injectable()
export class SessionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * A new session. Every column is given here (the id and the defaults too), so the row is known without
   * TypeORM's save (entity diffing, a RETURNING to merge back): one plain INSERT on the hot path of a login,
   * which also runs the writes deferred in the transaction so far (takeDeferred), as CTE members.
   */
  async insert(
    manager: EntityManager,
    session: Partial<Session> & Pick<Session, 'cupid' | 'clientId' | 'idleExpiresAt' | 'absoluteExpiresAt'>,
  ): Promise<Session> {
    const now = new Date();
    const row: Session = Object.assign(new Session(), {
      id: randomUUID(),
      contextId: null,
      trustedDeviceId: null,
      amr: [],
      acr: null,
      ipAddress: null,
      userAgent: null,
      status: 'ACTIVE',
      authTime: now,
      createdAt: now,
      lastUsedAt: now,
      revokedAt: null,
      revokedBy: null,
      revokeReason: null,
      directoryCheckedAt: null,
      cookieHash: null,
      clientIds: [session.clientId],
      ...session,
    } satisfies Omit<Session, 'trustedDevice'>);
    const statement = withDeferred(takeDeferred(manager), {
      text: `INSERT INTO sessions (id, cupid, client_id, context_id, trusted_device_id, amr, acr, ip_address, user_agent, status,
                             auth_time, created_at, last_used_at, idle_expires_at, absolute_expires_at, revoked_at,
                             revoked_by, revoke_reason, directory_checked_at, cookie_hash, client_ids)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
      values: [
        row.id,
        row.cupid,
        row.clientId,
        row.contextId,
        row.trustedDeviceId,
        row.amr,
        row.acr,
        row.ipAddress,
        row.userAgent,
        row.status,
        row.authTime,
        row.createdAt,
        row.lastUsedAt,
        row.idleExpiresAt,
        row.absoluteExpiresAt,
        row.revokedAt,
        row.revokedBy,
        row.revokeReason,
        row.directoryCheckedAt,
        row.cookieHash,
        row.clientIds,
      ],
    });
    await statementRows(manager, statement); // prepared per connection (a name per text the deferred writes give)
    return row;
  }

  findById(id: string, manager: EntityManager = this.dataSource.manager): Promise<Session | null> {
    return manager.getRepository(Session).findOneBy({ id });
  }

  /**
   * Slides the idle expiry forward (never past the absolute expiry) of a session that is still live, and
   * row-locks it until the transaction ends; null when it is not live. A refresh calls this before it
   * issues anything: a revocation that committed first is seen here (the UPDATE re-reads the row), and
   * one that comes later waits for the refresh and then ends the session its successor belongs to.
   */
  async touchLive(
    manager: EntityManager,
    id: string,
    now: Date,
    idleTtlSeconds: number,
    directoryCheckedAt: Date | null = null,
  ): Promise<{ idleExpiresAt: Date; absoluteExpiresAt: Date } | null> {
    const [row] = await rowsOf<{ idle_expires_at: Date; absolute_expires_at: Date }>(
      manager,
      `UPDATE sessions
          SET last_used_at = $2,
              idle_expires_at = LEAST($2::timestamptz + make_interval(secs => $3), absolute_expires_at),
              directory_checked_at = COALESCE($4::timestamptz, directory_checked_at)
        WHERE id = $1 AND status = 'ACTIVE' AND idle_expires_at > $2 AND absolute_expires_at > $2
        RETURNING idle_expires_at, absolute_expires_at`,
      [id, now, idleTtlSeconds, directoryCheckedAt],
    );
    return row ? { idleExpiresAt: row.idle_expires_at, absoluteExpiresAt: row.absolute_expires_at } : null;
  }

  /**
   * touchLive as a fragment for another repository's statement (a refresh's rotation, issue 14): the same
   * UPDATE, applied only when `when` (a condition of the caller's statement) holds, RETURNING the new expiry.
   * Parameters from `firstParam`: the session id, now, the idle TTL in seconds, directory_checked_at.
   */
  touchLiveFragment(
    firstParam: number,
    when: string,
    values: { id: string; now: Date; idleTtlSeconds: number; directoryCheckedAt: Date | null },
  ): { text: string; values: unknown[] } {
    const [id, now, idle, checked] = [firstParam, firstParam + 1, firstParam + 2, firstParam + 3].map((n) => `$${n}`);
    return {
      text: `UPDATE sessions
                SET last_used_at = ${now}::timestamptz,
                    idle_expires_at = LEAST(${now}::timestamptz + make_interval(secs => ${idle}::int), absolute_expires_at),
                    directory_checked_at = COALESCE(${checked}::timestamptz, directory_checked_at)
              WHERE id = ${id}::uuid AND status = 'ACTIVE' AND idle_expires_at > ${now}::timestamptz
                AND absolute_expires_at > ${now}::timestamptz AND ${when}
              RETURNING idle_expires_at, absolute_expires_at`,
      values: [values.id, values.now, values.idleTtlSeconds, values.directoryCheckedAt],
    };
  }

  /**
   * The live session a provider session cookie names (by the SHA-256 of its value, idx_sessions_cookie_hash):
   * ACTIVE and before both expiries; null otherwise. Only the hash is compared, never the cookie.
   */
  async findLiveByCookieHash(cookieHash: Buffer, now: Date): Promise<Session | null> {
    const [row] = await rowsOf<{ id: string }>(
      this.dataSource.manager,
      `SELECT id FROM sessions
        WHERE cookie_hash = $1 AND status = 'ACTIVE' AND idle_expires_at > $2 AND absolute_expires_at > $2`,
      [cookieHash, now],
    );
    return row ? this.findById(row.id) : null;
  }

  /**
   * SSO (issue 15): a client signs in under a live session. Slides the idle expiry like a refresh and adds the
   * client to the session's list; null when the session stopped being live (revoked a moment ago: revocation wins).
   */
  async joinClient(
    manager: EntityManager,
    id: string,
    clientId: string,
    now: Date,
    idleTtlSeconds: number,
  ): Promise<{ id: string } | null> {
    const [row] = await rowsOf<{ id: string }>(
      manager,
      `UPDATE sessions
          SET last_used_at = $3,
              idle_expires_at = LEAST($3::timestamptz + make_interval(secs => $4), absolute_expires_at),
              client_ids = CASE WHEN $2 = ANY(client_ids) THEN client_ids ELSE array_append(client_ids, $2) END
        WHERE id = $1 AND status = 'ACTIVE' AND idle_expires_at > $3 AND absolute_expires_at > $3
        RETURNING id`,
      [id, clientId, now, idleTtlSeconds],
    );
    return row ?? null;
  }

  /**
   * Step-up (issue 15): the same session proves more. Its methods grow (a union, never a loss), its level
   * becomes `acr`, auth_time becomes the step's time (OIDC Core §2: the time of the authentication just done),
   * and, for a browser, a fresh cookie replaces the old (a raised privilege gets a new session identifier,
   * OWASP session management). Only while live and still the customer's; null otherwise.
   */
  async stepUp(
    manager: EntityManager,
    id: string,
    cupid: string,
    change: { amr: string[]; acr: string; at: Date; cookieHash: Buffer | null; clientId: string },
  ): Promise<Session | null> {
    const [row] = await rowsOf<{ id: string }>(
      manager,
      `UPDATE sessions
          SET amr = ARRAY(SELECT m FROM unnest(amr || $3::text[]) WITH ORDINALITY AS u(m, n) GROUP BY m ORDER BY min(n)),
              acr = $4, auth_time = $5, last_used_at = $5,
              cookie_hash = COALESCE($6, cookie_hash),
              client_ids = CASE WHEN $7 = ANY(client_ids) THEN client_ids ELSE array_append(client_ids, $7) END
        WHERE id = $1 AND cupid = $2 AND status = 'ACTIVE' AND idle_expires_at > $5 AND absolute_expires_at > $5
        RETURNING id`,
      [id, cupid, change.amr, change.acr, change.at, change.cookieHash, change.clientId],
    );
    return row ? this.findById(row.id, manager) : null;
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
      // Locked in id order, like every multi-session revocation, so two of them never deadlock each other.
      `WITH due AS (SELECT id FROM sessions WHERE cupid = $1 AND status = 'ACTIVE' AND ($5::uuid IS NULL OR id <> $5::uuid) ORDER BY id FOR UPDATE)
       UPDATE sessions s SET status = 'REVOKED', revoked_at = $2, revoked_by = $3, revoke_reason = $4
         FROM due WHERE s.id = due.id AND s.status = 'ACTIVE'
       RETURNING s.id, s.client_id`,
      [cupid, revocation.at, revocation.by, revocation.reason, exceptSessionId ?? null],
    );
    return rows.map((row) => ({ id: row.id, clientId: row.client_id }));
  }

  /** Revokes the active sessions a trusted device opened or was bound in (sessions.trusted_device_id). */
  async revokeForDevice(
    manager: EntityManager,
    deviceId: string,
    revocation: Revocation,
  ): Promise<Array<Pick<Session, 'id' | 'cupid' | 'clientId'>>> {
    const rows = await rowsOf<{ id: string; cupid: string; client_id: string }>(
      manager,
      `WITH due AS (SELECT id FROM sessions WHERE trusted_device_id = $1 AND status = 'ACTIVE' ORDER BY id FOR UPDATE)
       UPDATE sessions s SET status = 'REVOKED', revoked_at = $2, revoked_by = $3, revoke_reason = $4
         FROM due WHERE s.id = due.id AND s.status = 'ACTIVE'
       RETURNING s.id, s.cupid, s.client_id`,
      [deviceId, revocation.at, revocation.by, revocation.reason],
    );
    return rows.map((row) => ({ id: row.id, cupid: row.cupid, clientId: row.client_id }));
  }

  /**
   * Takes a client out of active sessions' client lists (idx_sessions_client_ids_active): the sessions go on, so
   * the customer stays signed in to their other clients, but the client no longer shows in them nor hears their
   * end (back-channel logout fans out to client_ids). Which sessions: the ones named (`sessionIds`), or at most
   * `limit` of those other clients are in too (`shared`: a deactivation, which ends the others). The caller
   * revokes the client's tokens under them in the same transaction. Returns the ids of the sessions it left.
   */
  async detachClient(manager: EntityManager, clientId: string, from: SessionsToLeave): Promise<string[]> {
    const [which, value, limit] =
      'sessionIds' in from
        ? ['id = ANY($2::uuid[])', from.sessionIds, from.sessionIds.length]
        : ['cardinality(client_ids) > $2::int', 1, from.limit];
    if (limit === 0) return [];
    const rows = await rowsOf<{ id: string }>(
      manager,
      `WITH due AS (SELECT id FROM sessions WHERE client_ids @> ARRAY[$1]::text[] AND ${which}
                      AND status = 'ACTIVE' ORDER BY id LIMIT $3 FOR UPDATE)
       UPDATE sessions s SET client_ids = array_remove(s.client_ids, $1)
         FROM due WHERE s.id = due.id AND s.status = 'ACTIVE'
       RETURNING s.id`,
      [clientId, value, limit],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Revokes at most `limit` active sessions a client is in (idx_sessions_client_ids_active): those it opened and
   * those it joined by SSO (client_ids holds the opening client too, until a deactivation detaches it from a
   * session other clients share), since its tokens live in both; bounded, so callers loop.
   */
  async revokeBatchForClient(
    manager: EntityManager,
    clientId: string,
    revocation: Revocation,
    limit: number,
  ): Promise<Array<Pick<Session, 'id' | 'cupid'>>> {
    const rows = await rowsOf<{ id: string; cupid: string }>(
      manager,
      `WITH due AS (SELECT id FROM sessions WHERE client_ids @> ARRAY[$1]::text[] AND status = 'ACTIVE' ORDER BY id LIMIT $5 FOR UPDATE)
       UPDATE sessions s SET status = 'REVOKED', revoked_at = $2, revoked_by = $3, revoke_reason = $4
         FROM due WHERE s.id = due.id AND s.status = 'ACTIVE'
       RETURNING s.id, s.cupid`,
      [clientId, revocation.at, revocation.by, revocation.reason, limit],
    );
    return rows;
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

  /**
   * The ids of a customer's sessions, any status (an ended one stays until the retention job deletes it), newest
   * first, at most `limit` (idx_sessions_cupid): what a pairwise client's sid is matched against.
   */
  async idsOfCustomer(cupid: string, limit: number): Promise<string[]> {
    const rows = await rowsOf<{ id: string }>(
      this.dataSource.manager,
      'SELECT id FROM sessions WHERE cupid = $1 ORDER BY created_at DESC, id DESC LIMIT $2',
      [cupid, limit],
    );
    return rows.map((row) => row.id);
  }

  findRow(id: string): Promise<SessionRow | null> {
    return rowsOf<SessionRow>(this.dataSource.manager, `SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = $1`, [
      id,
    ]).then((rows) => rows[0] ?? null);
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

  /**
   * Data lifecycle (expire-sessions job): up to `batch` sessions past their idle or absolute expiry become
   * EXPIRED, and their live tokens with them. The SQL function skips token rows a refresh holds (SKIP LOCKED),
   * so this never waits in the refresh's lock order (token, then session); TokensRepository.expireBatch ends
   * them later.
   */
  async expireBatch(manager: EntityManager, batch: number, asOf: Date): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(manager, 'SELECT cleanup_expired_sessions($1, $2) AS n', [batch, asOf]);
    return Number(row?.n ?? 0);
  }

  /**
   * Data lifecycle (purge job): ended sessions (and, by cascade, their tokens and codes) whose last possible
   * use is past the retention.
   */
  async deleteEndedBatch(manager: EntityManager, batch: number, asOf: Date, retentionDays: number): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(
      manager,
      `WITH due AS (SELECT id FROM sessions WHERE status <> 'ACTIVE' AND absolute_expires_at < $2::timestamptz - make_interval(days => $3)
                     LIMIT $1 FOR UPDATE SKIP LOCKED),
            gone AS (DELETE FROM sessions s USING due WHERE s.id = due.id RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [batch, asOf, retentionDays],
    );
    return Number(row?.n ?? 0);
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
  client_ids: string[];
  cursor: string;
}

const SESSION_COLUMNS = `id, client_id, status, amr, acr, host(ip_address) AS ip_address, user_agent, trusted_device_id, created_at,
  last_used_at, idle_expires_at, absolute_expires_at, revoked_at, revoked_by, revoke_reason, client_ids, created_at::text AS cursor`;
