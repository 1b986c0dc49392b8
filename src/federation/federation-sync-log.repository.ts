import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '../database/sql';

/**
 * What a link did ([SyncLogs]). Open-ended on purpose (fedtokens adds its own actions); never a token value or a
 * secret in `details`.
 */
export type FederationSyncAction =
  | 'linked'
  | 'signed_in'
  | 'unlinked'
  | 'tokens_stored'
  | 'tokens_refreshed'
  | 'token_handed_out'
  | 'reconsent_required'
  | (string & {});

export interface FederationSyncLogEntry {
  id: string;
  linkId: string;
  action: string;
  details: Record<string, unknown>;
  at: Date;
}

/** Owns federation_sync_log (migration 1796095500000). */
@Injectable()
export class FederationSyncLogRepository {
  /** Appends one entry, in the caller's transaction (so it commits with the change it describes). */
  async record(
    manager: EntityManager,
    linkId: string,
    action: FederationSyncAction,
    details: Record<string, unknown> = {},
    at?: Date,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO federation_sync_log (link_id, action, details, at) VALUES ($1, $2, $3, COALESCE($4, now()))`,
      [linkId, action, JSON.stringify(details), at ?? null],
    );
  }

  /** A link's entries, oldest first. */
  async listForLink(manager: EntityManager, linkId: string): Promise<FederationSyncLogEntry[]> {
    return rowsOf<FederationSyncLogEntry>(
      manager,
      `SELECT id::text AS id, link_id AS "linkId", action, details, at FROM federation_sync_log
        WHERE link_id = $1 ORDER BY at, id`,
      [linkId],
    );
  }
}
