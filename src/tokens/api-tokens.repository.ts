import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { SqlFragment } from '../audit/audit-log.repository';
import { poolStatement, rowsOf } from '../database/sql';

export interface ApiTokenRow {
  id: string;
  owner_id: string;
  owner_type: 'CUSTOMER' | 'SERVICE';
  owner_client_id: string | null;
  cupid: string | null;
  name: string;
  scopes: string[];
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  blocked_at: Date | null;
  blocked_by: string | null;
  revoked_at: Date | null;
  revoked_by: string | null;
}

const COLUMNS = `t.id, t.owner_id, o.owner_type, o.client_id AS owner_client_id, t.cupid, t.name, t.scopes, t.created_at,
  t.expires_at, t.last_used_at, t.blocked_at, t.blocked_by, t.revoked_at, t.revoked_by`;

/** Owns api_tokens and api_token_owners: named API tokens, found by the SHA-256 of their value. */
@Injectable()
export class ApiTokensRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The customer's owner row, created on first use (one per customer, race-free on the unique index). */
  async customerOwner(manager: EntityManager, cupid: string, at: Date): Promise<string> {
    const [row] = await rowsOf<{ id: string }>(
      manager,
      `WITH made AS (INSERT INTO api_token_owners (owner_type, cupid, created_at) VALUES ('CUSTOMER', $1, $2)
                      ON CONFLICT (cupid) WHERE owner_type = 'CUSTOMER' DO NOTHING RETURNING id)
       SELECT id FROM made UNION ALL SELECT id FROM api_token_owners WHERE owner_type = 'CUSTOMER' AND cupid = $1 LIMIT 1`,
      [cupid, at],
    );
    return row.id;
  }

  /** A service's owner row (an OAuth client holding tokens on behalf of customers), created on first use. */
  async serviceOwner(manager: EntityManager, clientId: string, at: Date): Promise<string> {
    const [row] = await rowsOf<{ id: string }>(
      manager,
      `WITH made AS (INSERT INTO api_token_owners (owner_type, client_id, created_at) VALUES ('SERVICE', $1, $2)
                      ON CONFLICT (client_id) WHERE owner_type = 'SERVICE' DO NOTHING RETURNING id)
       SELECT id FROM made UNION ALL SELECT id FROM api_token_owners WHERE owner_type = 'SERVICE' AND client_id = $1 LIMIT 1`,
      [clientId, at],
    );
    return row.id;
  }

  /** The tokens a service owns (for one customer when given), live ones, newest first. */
  listForService(clientId: string, cupid: string | null): Promise<ApiTokenRow[]> {
    return rowsOf<ApiTokenRow>(
      this.dataSource.manager,
      `SELECT ${COLUMNS} FROM api_tokens t JOIN api_token_owners o ON o.id = t.owner_id
        WHERE o.owner_type = 'SERVICE' AND o.client_id = $1 AND ($2::text IS NULL OR t.cupid = $2) AND t.revoked_at IS NULL
        ORDER BY t.created_at DESC, t.id LIMIT 200`,
      [clientId, cupid],
    );
  }

  /** Revokes a live token this service owns; the row, or null (not its own, unknown, or revoked already). */
  async revokeForService(
    manager: EntityManager,
    clientId: string,
    id: string,
    by: string,
    at: Date,
  ): Promise<ApiTokenRow | null> {
    const [row] = await rowsOf<{ id: string }>(
      manager,
      `UPDATE api_tokens t SET revoked_at = $4, revoked_by = $3 FROM api_token_owners o
        WHERE t.id = $1 AND o.id = t.owner_id AND o.owner_type = 'SERVICE' AND o.client_id = $2 AND t.revoked_at IS NULL
        RETURNING t.id`,
      [id, clientId, by, at],
    );
    return row ? this.findById(manager, row.id) : null;
  }

  async insert(
    manager: EntityManager,
    token: {
      ownerId: string;
      cupid: string | null;
      name: string;
      hash: Buffer;
      scopes: string[];
      at: Date;
      expiresAt: Date | null;
    },
  ): Promise<ApiTokenRow> {
    const [row] = await rowsOf<{ id: string }>(
      manager,
      `INSERT INTO api_tokens (owner_id, cupid, name, token_hash, scopes, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [token.ownerId, token.cupid, token.name, token.hash, token.scopes, token.at, token.expiresAt],
    );
    return (await this.findById(manager, row.id))!;
  }

  async findById(manager: EntityManager, id: string): Promise<ApiTokenRow | null> {
    const [row] = await rowsOf<ApiTokenRow>(
      manager,
      `SELECT ${COLUMNS} FROM api_tokens t JOIN api_token_owners o ON o.id = t.owner_id WHERE t.id = $1`,
      [id],
    );
    return row ?? null;
  }

  /** A customer's tokens (those speaking for them, whoever owns them), newest first; revoked ones when asked. */
  listForCustomer(cupid: string, includeRevoked: boolean): Promise<ApiTokenRow[]> {
    return rowsOf<ApiTokenRow>(
      this.dataSource.manager,
      `SELECT ${COLUMNS} FROM api_tokens t JOIN api_token_owners o ON o.id = t.owner_id
        WHERE t.cupid = $1 AND ($2 OR t.revoked_at IS NULL) ORDER BY t.created_at DESC, t.id LIMIT 200`,
      [cupid, includeRevoked],
    );
  }

  /** Revokes a token of this customer that is not revoked yet; the row, or null (single use under races). */
  async revoke(manager: EntityManager, cupid: string, id: string, by: string, at: Date): Promise<ApiTokenRow | null> {
    const [row] = await rowsOf<{ id: string }>(
      manager,
      `UPDATE api_tokens SET revoked_at = $4, revoked_by = $3 WHERE id = $1 AND cupid = $2 AND revoked_at IS NULL RETURNING id`,
      [id, cupid, by, at],
    );
    return row ? this.findById(manager, row.id) : null;
  }

  /** Blocks a token of this customer (an agent's hold: it stops working, and stays listed as blocked). */
  async block(manager: EntityManager, cupid: string, id: string, by: string, at: Date): Promise<ApiTokenRow | null> {
    const [row] = await rowsOf<{ id: string }>(
      manager,
      `UPDATE api_tokens SET blocked_at = $4, blocked_by = $3
        WHERE id = $1 AND cupid = $2 AND blocked_at IS NULL AND revoked_at IS NULL RETURNING id`,
      [id, cupid, by, at],
    );
    return row ? this.findById(manager, row.id) : null;
  }

  /**
   * Hot path (introspection of an API token): the token by its hash and, in the same statement, whether the
   * introspecting client is still active (`guard`, numbered from $2), like TokensRepository.findStateGuarded.
   */
  async findGuarded(hash: Buffer, guard: SqlFragment): Promise<{ guard: boolean; token: ApiTokenRow | null }> {
    const [row] = await poolStatement<ApiTokenRow & { guard_holds: boolean }>(this.dataSource, {
      text: `SELECT ${guard.text} AS guard_holds, st.* FROM (SELECT 1) AS one LEFT JOIN LATERAL (
               SELECT ${COLUMNS} FROM api_tokens t JOIN api_token_owners o ON o.id = t.owner_id WHERE t.token_hash = $1
             ) st ON true`,
      values: [hash, ...guard.values],
    });
    const { guard_holds: holds, ...token } = row;
    return { guard: holds, token: token.id ? (token as ApiTokenRow) : null };
  }

  /** last_used_at, only when it is older than `olderThan` (another instance may have written it meanwhile). */
  async touch(id: string, at: Date, olderThan: Date): Promise<void> {
    await poolStatement(this.dataSource, {
      text: `UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)`,
      values: [id, at, olderThan],
    });
  }

  /**
   * The purge job: tokens revoked or expired before `before` (retention), which no request can use any more;
   * their creation and revocation stay in the audit trail.
   */
  async deleteDeadBatch(manager: EntityManager, batch: number, before: Date): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(
      manager,
      `WITH due AS (SELECT id FROM api_tokens WHERE revoked_at < $2 OR expires_at < $2 LIMIT $1 FOR UPDATE SKIP LOCKED),
            gone AS (DELETE FROM api_tokens x USING due WHERE x.id = due.id RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [batch, before],
    );
    return row.n;
  }
}
