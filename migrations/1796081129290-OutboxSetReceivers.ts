import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Shared Signals receivers (helper "outbox", issue 19 item 3): where RFC 8417 security event tokens are pushed
 * (RFC 8935), for which audience, and which CAEP/RISC event types each wants. Owned by
 * src/signals/set-receivers.repository.ts. Deactivated, never deleted, so deliveries stay explainable.
 */
export class OutboxSetReceivers1796081129290 implements MigrationInterface {
  name = 'OutboxSetReceivers1796081129290';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE set_receivers (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
        endpoint_url text NOT NULL CHECK (length(endpoint_url) <= 2048),
        audience     text NOT NULL CHECK (length(audience) BETWEEN 1 AND 512),
        event_types  text[] NOT NULL CHECK (cardinality(event_types) > 0),
        active       boolean NOT NULL DEFAULT true,
        created_at   timestamptz NOT NULL DEFAULT now(),
        updated_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX set_receivers_active_events ON set_receivers USING gin (event_types) WHERE active`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE IF EXISTS set_receivers`);
  }
}
