import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '../../database/sql';

export interface DeliveryCounts {
  recipient15m: number;
  recipient24h: number;
  cupid15m: number;
  cupid24h: number;
}

/** Owns sms_deliveries, registered by its own SmsDeliveriesModule; the purge job deletes old rows through `deleteOldBatch`. */
@Injectable()
export class SmsDeliveriesRepository {
  /**
   * Sends to one recipient are serialised across instances for the rest of the transaction, so two
   * concurrent requests cannot both pass the budget check.
   */
  async lockRecipient(manager: EntityManager, recipientHash: Buffer): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended(encode($1::bytea, 'hex'), 7))`, [recipientHash]);
  }

  async counts(manager: EntityManager, recipientHash: Buffer, cupid: string, now: Date): Promise<DeliveryCounts> {
    const [row] = await rowsOf<{ r15: number; r24: number; c15: number; c24: number }>(
      manager,
      `SELECT
         (SELECT count(*) FROM sms_deliveries WHERE recipient_hash = $1 AND created_at > $3::timestamptz - interval '15 minutes')::int AS r15,
         (SELECT count(*) FROM sms_deliveries WHERE recipient_hash = $1 AND created_at > $3::timestamptz - interval '24 hours')::int AS r24,
         (SELECT count(*) FROM sms_deliveries WHERE cupid = $2 AND created_at > $3::timestamptz - interval '15 minutes')::int AS c15,
         (SELECT count(*) FROM sms_deliveries WHERE cupid = $2 AND created_at > $3::timestamptz - interval '24 hours')::int AS c24`,
      [recipientHash, cupid, now],
    );
    return { recipient15m: row.r15, recipient24h: row.r24, cupid15m: row.c15, cupid24h: row.c24 };
  }

  /**
   * Counts a send against the budget before it goes out (under the recipient lock), so concurrent sends
   * cannot overshoot while the provider is being called with no lock held. Confirmed or cancelled after.
   */
  async reserve(
    manager: EntityManager,
    delivery: { contextId: string; cupid: string; recipientHash: Buffer; provider: string; at: Date },
  ): Promise<string> {
    const [row] = await rowsOf<{ id: string }>(
      manager,
      `INSERT INTO sms_deliveries (context_id, cupid, recipient_hash, provider, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [delivery.contextId, delivery.cupid, delivery.recipientHash, delivery.provider, delivery.at],
    );
    return row.id;
  }

  async confirm(manager: EntityManager, id: string, providerMessageId: string | null): Promise<void> {
    await manager.query(`UPDATE sms_deliveries SET provider_message_id = $2 WHERE id = $1`, [id, providerMessageId]);
  }

  /** The provider did not take the message: it does not count. */
  async cancel(manager: EntityManager, id: string): Promise<void> {
    await manager.query(`DELETE FROM sms_deliveries WHERE id = $1`, [id]);
  }

  /** Data lifecycle (purge job): delivery records past the journey retention. */
  async deleteOldBatch(manager: EntityManager, batch: number, asOf: Date, retentionDays: number): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(
      manager,
      `WITH due AS (SELECT id FROM sms_deliveries WHERE created_at < $2::timestamptz - make_interval(days => $3) LIMIT $1 FOR UPDATE SKIP LOCKED),
            gone AS (DELETE FROM sms_deliveries x USING due WHERE x.id = due.id RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [batch, asOf, retentionDays],
    );
    return Number(row?.n ?? 0);
  }
}
