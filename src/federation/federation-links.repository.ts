import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '../database/sql';

export type FederationSyncStatus = 'ok' | 'needs_reconsent' | 'refresh_failed';

/** A provider's subject linked to a CUPID (federation_links, [UserProviders]). */
export interface FederationLink {
  id: string;
  cupid: string;
  providerId: string;
  subject: string;
  displayName: string | null;
  active: boolean;
  syncStatus: FederationSyncStatus;
  linkedAt: Date;
  lastSignInAt: Date | null;
  unlinkedAt: Date | null;
}

const COLUMNS = `id, cupid, provider_id AS "providerId", subject, display_name AS "displayName", active,
  sync_status AS "syncStatus", linked_at AS "linkedAt", last_sign_in_at AS "lastSignInAt", unlinked_at AS "unlinkedAt"`;

/** Owns federation_links (migration 1796095500000). */
@Injectable()
export class FederationLinksRepository {
  /**
   * Links (provider, subject) to a CUPID; null when the subject is already actively linked (to this CUPID or
   * another: the partial unique index decides, so two racing links cannot both win).
   */
  async insert(
    manager: EntityManager,
    row: { id: string; cupid: string; providerId: string; subject: string; displayName: string | null; at: Date },
  ): Promise<FederationLink | null> {
    const [link] = await rowsOf<FederationLink>(
      manager,
      `INSERT INTO federation_links (id, cupid, provider_id, subject, display_name, linked_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (provider_id, subject) WHERE active DO NOTHING RETURNING ${COLUMNS}`,
      [row.id, row.cupid, row.providerId, row.subject, row.displayName, row.at],
    );
    return link ?? null;
  }

  /** The active link of a provider's subject, if any. */
  async findActiveBySubject(
    manager: EntityManager,
    providerId: string,
    subject: string,
  ): Promise<FederationLink | null> {
    const [link] = await rowsOf<FederationLink>(
      manager,
      `SELECT ${COLUMNS} FROM federation_links WHERE provider_id = $1 AND subject = $2 AND active`,
      [providerId, subject],
    );
    return link ?? null;
  }

  /** One link by id (active or not). */
  async findById(manager: EntityManager, id: string): Promise<FederationLink | null> {
    const [link] = await rowsOf<FederationLink>(manager, `SELECT ${COLUMNS} FROM federation_links WHERE id = $1`, [id]);
    return link ?? null;
  }

  /** The active link of a customer to a provider, if any. */
  async findActiveForCustomer(
    manager: EntityManager,
    cupid: string,
    providerId: string,
  ): Promise<FederationLink | null> {
    const [link] = await rowsOf<FederationLink>(
      manager,
      `SELECT ${COLUMNS} FROM federation_links WHERE cupid = $1 AND provider_id = $2 AND active
        ORDER BY linked_at DESC LIMIT 1`,
      [cupid, providerId],
    );
    return link ?? null;
  }

  /** A customer's active links, oldest first. */
  async listActive(manager: EntityManager, cupid: string): Promise<FederationLink[]> {
    return rowsOf<FederationLink>(
      manager,
      `SELECT ${COLUMNS} FROM federation_links WHERE cupid = $1 AND active ORDER BY linked_at, id`,
      [cupid],
    );
  }

  /** Records a sign-in through the link; false when it is no longer active (unlinked meanwhile). */
  async touchSignIn(manager: EntityManager, id: string, at: Date): Promise<boolean> {
    const rows = await rowsOf<{ id: string }>(
      manager,
      `UPDATE federation_links SET last_sign_in_at = $2 WHERE id = $1 AND active RETURNING id`,
      [id, at],
    );
    return rows.length > 0;
  }

  /** Unlinks one of the customer's links; the link as it was, or null when there is no such active link. */
  async unlink(manager: EntityManager, cupid: string, id: string, at: Date): Promise<FederationLink | null> {
    const [link] = await rowsOf<FederationLink>(
      manager,
      `UPDATE federation_links SET active = false, unlinked_at = $3
        WHERE id = $1 AND cupid = $2 AND active RETURNING ${COLUMNS}`,
      [id, cupid, at],
    );
    return link ?? null;
  }

  /** Sets a link's sync status (fedtokens: a failed refresh marks it as needing re-consent). */
  async setSyncStatus(manager: EntityManager, id: string, status: FederationSyncStatus): Promise<boolean> {
    const rows = await rowsOf<{ id: string }>(
      manager,
      `UPDATE federation_links SET sync_status = $2 WHERE id = $1 AND active RETURNING id`,
      [id, status],
    );
    return rows.length > 0;
  }
}
