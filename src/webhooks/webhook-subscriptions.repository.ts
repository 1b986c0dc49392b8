import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '../database/sql';

export interface WebhookSubscriptionRow {
  id: string;
  name: string;
  url: string;
  event_types: string[];
  include_cupid: boolean;
  include_network: boolean;
  include_details: boolean;
  active: boolean;
  created_by: string;
  created_at: Date;
  secret_rotated_at: Date | null;
  disabled_at: Date | null;
}

export interface WebhookSecretRow {
  secret_sealed: Buffer;
  kek_id: string;
  active: boolean;
  url: string;
}

const COLUMNS = `id, name, url, event_types, include_cupid, include_network, include_details, active, created_by,
  created_at, secret_rotated_at, disabled_at`;

/** The only code that touches webhook_subscriptions. The sealed secret leaves it only through `secretOf`. */
@Injectable()
export class WebhookSubscriptionsRepository {
  async insert(
    manager: EntityManager,
    row: {
      id: string;
      name: string;
      url: string;
      eventTypes: string[];
      includeCupid: boolean;
      includeNetwork: boolean;
      includeDetails: boolean;
      secretSealed: Buffer;
      kekId: string;
      createdBy: string;
    },
  ): Promise<WebhookSubscriptionRow> {
    const [created] = await rowsOf<WebhookSubscriptionRow>(
      manager,
      `INSERT INTO webhook_subscriptions (id, name, url, event_types, include_cupid, include_network, include_details,
                                          secret_sealed, kek_id, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
      [
        row.id,
        row.name,
        row.url,
        row.eventTypes,
        row.includeCupid,
        row.includeNetwork,
        row.includeDetails,
        row.secretSealed,
        row.kekId,
        row.createdBy,
      ],
    );
    return created;
  }

  list(manager: EntityManager): Promise<WebhookSubscriptionRow[]> {
    return rowsOf<WebhookSubscriptionRow>(manager, `SELECT ${COLUMNS} FROM webhook_subscriptions ORDER BY created_at`);
  }

  /** The active subscriptions, for the fan-out of each chained batch (few rows; read in the sequencer's transaction). */
  active(manager: EntityManager): Promise<WebhookSubscriptionRow[]> {
    return rowsOf<WebhookSubscriptionRow>(
      manager,
      `SELECT ${COLUMNS} FROM webhook_subscriptions WHERE active ORDER BY created_at`,
    );
  }

  async find(manager: EntityManager, id: string): Promise<WebhookSubscriptionRow | null> {
    const [row] = await rowsOf<WebhookSubscriptionRow>(
      manager,
      `SELECT ${COLUMNS} FROM webhook_subscriptions WHERE id = $1`,
      [id],
    );
    return row ?? null;
  }

  async secretOf(manager: EntityManager, id: string): Promise<WebhookSecretRow | null> {
    const [row] = await rowsOf<WebhookSecretRow>(
      manager,
      'SELECT secret_sealed, kek_id, active, url FROM webhook_subscriptions WHERE id = $1',
      [id],
    );
    return row ?? null;
  }

  /** Disables an active subscription; null when there is no active one with that id. */
  async disable(manager: EntityManager, id: string, at: Date): Promise<WebhookSubscriptionRow | null> {
    const [row] = await rowsOf<WebhookSubscriptionRow>(
      manager,
      `UPDATE webhook_subscriptions SET active = false, disabled_at = $2 WHERE id = $1 AND active RETURNING ${COLUMNS}`,
      [id, at],
    );
    return row ?? null;
  }

  async replaceSecret(
    manager: EntityManager,
    id: string,
    sealed: Buffer,
    kekId: string,
    at: Date,
  ): Promise<WebhookSubscriptionRow | null> {
    const [row] = await rowsOf<WebhookSubscriptionRow>(
      manager,
      `UPDATE webhook_subscriptions SET secret_sealed = $2, kek_id = $3, secret_rotated_at = $4
        WHERE id = $1 AND active RETURNING ${COLUMNS}`,
      [id, sealed, kekId, at],
    );
    return row ?? null;
  }
}
