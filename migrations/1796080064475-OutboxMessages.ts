import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transactional outbox (helper "outbox", issues 15 and 19): messages enqueued in the transaction of the
 * change they announce, delivered afterwards by whichever instance claims them (src/outbox). Owned by
 * src/outbox/outbox.repository.ts.
 *
 * - `id` is an identity: enqueue order, which delivery keeps per (channel, destination, ordering_key).
 * - A message is PENDING until it is DELIVERED or DEAD; while an instance delivers it, `locked_until` (its
 *   lease) keeps the others off, and `lease` names the claim so a late answer from an expired lease cannot
 *   overwrite a newer claim's outcome.
 * - A statement-level trigger NOTIFYs `ciam_outbox` on every insert: PostgreSQL delivers it when, and only
 *   if, the enqueueing transaction commits, so instances wake at once instead of at their next poll.
 */
export class OutboxMessages1796080064475 implements MigrationInterface {
  name = 'OutboxMessages1796080064475';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE outbox_messages (
        id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        channel         text NOT NULL CHECK (length(channel) BETWEEN 1 AND 64),
        destination     text NOT NULL CHECK (length(destination) BETWEEN 1 AND 256),
        ordering_key    text CHECK (length(ordering_key) <= 256),
        payload         jsonb NOT NULL,
        state           text NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'DELIVERED', 'DEAD')),
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        locked_until    timestamptz,
        lease           uuid,
        last_error      text,
        created_at      timestamptz NOT NULL,
        delivered_at    timestamptz,
        dead_at         timestamptz
      )`);
    // What the claim scans: due pending messages, oldest first.
    await db.query(`CREATE INDEX outbox_messages_due ON outbox_messages (next_attempt_at, id) WHERE state = 'PENDING'`);
    // The ordering check: an older pending message of the same key holds the later ones back.
    await db.query(
      `CREATE INDEX outbox_messages_ordering ON outbox_messages (channel, destination, ordering_key, id)
         WHERE state = 'PENDING' AND ordering_key IS NOT NULL`,
    );
    await db.query(
      `CREATE INDEX outbox_messages_delivered ON outbox_messages (delivered_at) WHERE state = 'DELIVERED'`,
    );
    await db.query(`CREATE INDEX outbox_messages_dead ON outbox_messages (dead_at, id) WHERE state = 'DEAD'`);
    await db.query(`
      CREATE FUNCTION announce_outbox_message() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('ciam_outbox', 'enqueued');
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE TRIGGER outbox_messages_announce AFTER INSERT ON outbox_messages
      FOR EACH STATEMENT EXECUTE FUNCTION announce_outbox_message()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE IF EXISTS outbox_messages`);
    await db.query(`DROP FUNCTION IF EXISTS announce_outbox_message()`);
  }
}
