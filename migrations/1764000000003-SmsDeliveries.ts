import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per SMS the service handed to a provider: the budget per recipient and per customer (against
 * SMS pumping) is counted here, across instances. The phone number itself is never stored: only a keyed
 * hash of it (HMAC with a key derived from KEY_ENCRYPTION_KEY).
 */
export class SmsDeliveries1764000000003 implements MigrationInterface {
  name = 'SmsDeliveries1764000000003';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE sms_deliveries (
        id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        context_id           uuid REFERENCES auth_contexts (id) ON DELETE SET NULL,
        cupid                text NOT NULL CHECK (length(cupid) BETWEEN 1 AND 64),
        recipient_hash       bytea NOT NULL CHECK (octet_length(recipient_hash) = 32),
        provider             text NOT NULL,
        provider_message_id  text,
        created_at           timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX idx_sms_deliveries_recipient ON sms_deliveries (recipient_hash, created_at DESC);
      CREATE INDEX idx_sms_deliveries_cupid ON sms_deliveries (cupid, created_at DESC);
      CREATE INDEX idx_sms_deliveries_created ON sms_deliveries (created_at);
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE IF EXISTS sms_deliveries`);
  }
}
