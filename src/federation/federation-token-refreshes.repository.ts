import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '../database/sql';

export type FederationRefreshTrigger = 'job' | 'on_demand';

/** One refresh of a link's upstream tokens ([TokenRefreshLog]): its outcome, never a token value. */
export interface FederationTokenRefresh {
  id: string;
  linkId: string;
  trigger: FederationRefreshTrigger;
  success: boolean;
  /** The provider's error code (RFC 6749 §5.2) or ours (network_error, no_refresh_token, ...); null on success. */
  error: string | null;
  at: Date;
}

/** Owns federation_token_refreshes (migration 1796095500000). */
@Injectable()
export class FederationTokenRefreshesRepository {
  async record(
    manager: EntityManager,
    linkId: string,
    trigger: FederationRefreshTrigger,
    error: string | null,
    at: Date,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO federation_token_refreshes (link_id, trigger, success, error, at) VALUES ($1, $2, $3, $4, $5)`,
      [linkId, trigger, error === null, error, at],
    );
  }

  /** A link's refreshes, oldest first. */
  listForLink(manager: EntityManager, linkId: string): Promise<FederationTokenRefresh[]> {
    return rowsOf<FederationTokenRefresh>(
      manager,
      `SELECT id::text AS id, link_id AS "linkId", trigger, success, error, at FROM federation_token_refreshes
        WHERE link_id = $1 ORDER BY at, id`,
      [linkId],
    );
  }
}
