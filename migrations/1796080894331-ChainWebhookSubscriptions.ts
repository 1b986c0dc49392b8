import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook subscriptions (helper "chain", issue 19 item 2): where chained audit events are pushed, which types,
 * which personal data a receiver may see, and the per-subscription HMAC secret, sealed with the key-encryption
 * key (the service needs the raw secret to sign, so it is sealed rather than hashed; shown once).
 */
export class ChainWebhookSubscriptions1796080894331 implements MigrationInterface {
  name = 'ChainWebhookSubscriptions1796080894331';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE webhook_subscriptions (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        url             text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
        event_types     text[] NOT NULL CHECK (cardinality(event_types) > 0),
        include_cupid   boolean NOT NULL DEFAULT false,
        include_network boolean NOT NULL DEFAULT false,
        include_details boolean NOT NULL DEFAULT false,
        secret_sealed   bytea NOT NULL,
        kek_id          text NOT NULL,
        active          boolean NOT NULL DEFAULT true,
        created_by      text NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        secret_rotated_at timestamptz,
        disabled_at     timestamptz
      );
      CREATE INDEX idx_webhook_subscriptions_active ON webhook_subscriptions (created_at) WHERE active;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE IF EXISTS webhook_subscriptions`);
  }
}
