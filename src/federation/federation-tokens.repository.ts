import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '../database/sql';

/** A link's upstream tokens as stored (federation_tokens, [OAuthTokens]): sealed, never in clear. */
export interface FederationTokenRow {
  linkId: string;
  accessTokenSealed: Buffer;
  refreshTokenSealed: Buffer | null;
  /** The key-encryption key that sealed both tokens (its id), so a KEK rotation is visible row by row. */
  keyId: string;
  tokenType: string;
  scope: string;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  refreshedAt: Date | null;
  metadata: Record<string, unknown>;
  updatedAt: Date;
}

/** The row with its link's facts, for the internal API and the refresh. */
export interface FederationTokenState extends FederationTokenRow {
  cupid: string;
  providerId: string;
  syncStatus: 'ok' | 'needs_reconsent' | 'refresh_failed';
}

/** What a store or a refresh writes. */
export interface SealedTokenFields {
  accessTokenSealed: Buffer;
  refreshTokenSealed: Buffer | null;
  keyId: string;
  tokenType: string;
  scope: string;
  expiresAt: Date | null;
  /** Facts about the tokens (never a token value): merged into metadata. */
  metadata: Record<string, unknown>;
}

const COLUMNS = `t.link_id AS "linkId", t.access_token_sealed AS "accessTokenSealed",
  t.refresh_token_sealed AS "refreshTokenSealed", t.key_id AS "keyId", t.token_type AS "tokenType", t.scope,
  t.expires_at AS "expiresAt", t.last_used_at AS "lastUsedAt", t.refreshed_at AS "refreshedAt", t.metadata,
  t.updated_at AS "updatedAt"`;
const STATE_COLUMNS = `${COLUMNS}, l.cupid, l.provider_id AS "providerId", l.sync_status AS "syncStatus"`;

/*
 * A refresh claims the row before it calls the provider, in one conditional UPDATE on the pool (no transaction
 * held across the call): metadata.refreshClaim names the claimant and metadata.refreshingUntil ends the claim
 * should the claimant die. Two instances never refresh one link at once, and the write after the call is a
 * compare-and-set on the refresh token it used, so a rotated refresh token is never overwritten by a stale one.
 */
const CLAIM_FREE = `(NOT (t.metadata ? 'refreshingUntil') OR (t.metadata->>'refreshingUntil')::timestamptz <= $2)`;

/** A link's sealed tokens as consecutive statement parameters, in the columns' order of both writes below. */
function sealedValues(fields: SealedTokenFields): unknown[] {
  return [
    fields.accessTokenSealed,
    fields.refreshTokenSealed,
    fields.keyId,
    fields.tokenType,
    fields.scope,
    fields.expiresAt,
    JSON.stringify(fields.metadata),
  ];
}

/** Owns federation_tokens (migration 1796095500000). */
@Injectable()
export class FederationTokensRepository {
  /** Stores a link's tokens, replacing any (a new sign-in or consent brings new ones); any claim ends. */
  async upsert(manager: EntityManager, linkId: string, fields: SealedTokenFields, at: Date): Promise<void> {
    await manager.query(
      `INSERT INTO federation_tokens AS t (link_id, access_token_sealed, refresh_token_sealed, key_id, token_type, scope,
         expires_at, refreshed_at, metadata, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9)
       ON CONFLICT (link_id) DO UPDATE SET access_token_sealed = EXCLUDED.access_token_sealed,
         refresh_token_sealed = EXCLUDED.refresh_token_sealed, key_id = EXCLUDED.key_id,
         token_type = EXCLUDED.token_type, scope = EXCLUDED.scope, expires_at = EXCLUDED.expires_at,
         metadata = (t.metadata - 'refreshClaim' - 'refreshingUntil') || EXCLUDED.metadata,
         updated_at = EXCLUDED.updated_at`,
      [linkId, ...sealedValues(fields), at],
    );
  }

  /** A link's tokens, or null when it has none. */
  async find(manager: EntityManager, linkId: string): Promise<FederationTokenRow | null> {
    const [row] = await rowsOf<FederationTokenRow>(
      manager,
      `SELECT ${COLUMNS} FROM federation_tokens t WHERE t.link_id = $1`,
      [linkId],
    );
    return row ?? null;
  }

  /** The tokens of the customer's active link to the provider (the latest linked), with its status; or null. */
  async findForCustomer(
    manager: EntityManager,
    cupid: string,
    providerId: string,
  ): Promise<FederationTokenState | null> {
    const [row] = await rowsOf<FederationTokenState>(
      manager,
      `SELECT ${STATE_COLUMNS} FROM federation_links l JOIN federation_tokens t ON t.link_id = l.id
        WHERE l.cupid = $1 AND l.provider_id = $2 AND l.active ORDER BY l.linked_at DESC, l.id LIMIT 1`,
      [cupid, providerId],
    );
    return row ?? null;
  }

  /**
   * Claims a link's tokens for a refresh until `until`: the row (with its link's facts) when this caller holds
   * the claim now; null when another holds it, the link is inactive or needs re-consent, or (with `dueBy`) its
   * access token no longer expires by then: a caller that read the row before another's refresh does not
   * refresh it a second time.
   */
  async claimRefresh(
    manager: EntityManager,
    linkId: string,
    claim: string,
    now: Date,
    until: Date,
    dueBy: Date | null,
  ): Promise<FederationTokenState | null> {
    const [row] = await rowsOf<FederationTokenState>(
      manager,
      `UPDATE federation_tokens t
          SET metadata = t.metadata || jsonb_build_object('refreshClaim', $3::text, 'refreshingUntil', $4::timestamptz)
         FROM federation_links l
        WHERE t.link_id = $1 AND l.id = t.link_id AND l.active AND l.sync_status <> 'needs_reconsent' AND ${CLAIM_FREE}
          AND ($5::timestamptz IS NULL OR t.expires_at <= $5)
        RETURNING ${STATE_COLUMNS}`,
      [linkId, now, claim, until, dueBy],
    );
    return row ?? null;
  }

  /**
   * Writes refreshed tokens when the stored refresh token is still the one the refresh used (compare-and-set:
   * a concurrent store or refresh wins and this one is dropped); ends this caller's claim. False when dropped.
   */
  async completeRefresh(
    manager: EntityManager,
    linkId: string,
    claim: string,
    usedRefreshTokenSealed: Buffer,
    fields: SealedTokenFields,
    at: Date,
  ): Promise<boolean> {
    const rows = await rowsOf<{ linkId: string }>(
      manager,
      `UPDATE federation_tokens t SET access_token_sealed = $4, refresh_token_sealed = $5, key_id = $6, token_type = $7,
         scope = $8, expires_at = $9, refreshed_at = $11, updated_at = $11,
         metadata = CASE WHEN t.metadata->>'refreshClaim' = $2 THEN t.metadata - 'refreshClaim' - 'refreshingUntil'
                         ELSE t.metadata END || $10::jsonb
        WHERE t.link_id = $1 AND t.refresh_token_sealed = $3 RETURNING t.link_id AS "linkId"`,
      [linkId, claim, usedRefreshTokenSealed, ...sealedValues(fields), at],
    );
    return rows.length > 0;
  }

  /** Ends this caller's claim without new tokens (the refresh failed); the stored tokens stay. */
  async releaseClaim(manager: EntityManager, linkId: string, claim: string): Promise<void> {
    await manager.query(
      `UPDATE federation_tokens SET metadata = metadata - 'refreshClaim' - 'refreshingUntil'
        WHERE link_id = $1 AND metadata->>'refreshClaim' = $2`,
      [linkId, claim],
    );
  }

  /**
   * The refresh job's batch: links (after `afterLinkId`, in id order, so a run visits each once even when its
   * refresh fails) whose access token expires by `before`, that hold a refresh token, are active, do not need
   * re-consent, and are not being refreshed.
   */
  async dueForRefresh(
    manager: EntityManager,
    before: Date,
    now: Date,
    afterLinkId: string | null,
    limit: number,
  ): Promise<string[]> {
    const rows = await rowsOf<{ linkId: string }>(
      manager,
      `SELECT t.link_id AS "linkId" FROM federation_tokens t JOIN federation_links l ON l.id = t.link_id
        WHERE t.expires_at <= $1 AND ${CLAIM_FREE} AND t.refresh_token_sealed IS NOT NULL AND l.active
          AND l.sync_status <> 'needs_reconsent' AND ($3::uuid IS NULL OR t.link_id > $3::uuid)
        ORDER BY t.link_id LIMIT $4`,
      [before, now, afterLinkId, limit],
    );
    return rows.map((row) => row.linkId);
  }

  /** When a service last got the link's access token from the internal API. */
  async touchLastUsed(manager: EntityManager, linkId: string, at: Date): Promise<void> {
    await manager.query(`UPDATE federation_tokens SET last_used_at = $2 WHERE link_id = $1`, [linkId, at]);
  }

  /**
   * Drops a link's tokens when the link is removed (added by "fedlogin"): an unlinked subject's tokens serve no
   * one, so they are not kept, sealed or not. The refresh history stays (it holds no token value).
   */
  async deleteForLink(manager: EntityManager, linkId: string): Promise<number> {
    const rows = await rowsOf<{ link_id: string }>(
      manager,
      `DELETE FROM federation_tokens WHERE link_id = $1 RETURNING link_id`,
      [linkId],
    );
    return rows.length;
  }
}
