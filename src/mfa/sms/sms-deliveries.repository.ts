import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '../../database/sql';

export interface DeliveryCounts {
  recipient15m: number;
  recipient24h: number;
  cupid15m: number;
  cupid24h: number;
}

/** The only code that touches sms_deliveries. */
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

  async record(manager: EntityManager, delivery: { contextId: string; cupid: string; recipientHash: Buffer; provider: string; providerMessageId: string | null; at: Date }): Promise<void> {
    await manager.query(
      `INSERT INTO sms_deliveries (context_id, cupid, recipient_hash, provider, provider_message_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [delivery.contextId, delivery.cupid, delivery.recipientHash, delivery.provider, delivery.providerMessageId, delivery.at],
    );
  }
}
