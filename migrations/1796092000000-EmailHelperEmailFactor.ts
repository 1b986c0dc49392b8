import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 17, item 1 (helper "email"): the customer's verified email address and its verification codes.
 * The directory stays the source of identity; what this service keeps is keyed by CUPID (one verified address
 * per customer, used for email codes and for notices on another channel).
 *
 * `email_verifications` holds one pending code per customer at most (a new address replaces it): the code only
 * as HMAC-SHA256 under a key derived from the key-encryption key (src/mfa/otp.ts), with its TTL, wrong attempts,
 * sends and the time it was used (set once: a conditional UPDATE ... WHERE consumed_at IS NULL).
 * `email_deliveries` counts the emails with a code sent to each address (keyed by an HMAC of the address) for the
 * per-recipient budget, like sms_deliveries.
 */
export class EmailHelperEmailFactor1796092000000 implements MigrationInterface {
  name = 'EmailHelperEmailFactor1796092000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE customer_emails (
        cupid         text PRIMARY KEY CHECK (length(cupid) BETWEEN 1 AND 64),
        address       text NOT NULL CHECK (length(address) BETWEEN 3 AND 254),
        verified_at   timestamptz NOT NULL,
        last_used_at  timestamptz
      );
      CREATE TABLE email_verifications (
        id            uuid PRIMARY KEY,
        cupid         text NOT NULL CHECK (length(cupid) BETWEEN 1 AND 64),
        address       text NOT NULL CHECK (length(address) BETWEEN 3 AND 254),
        code_hash     bytea NOT NULL,
        attempts      integer NOT NULL DEFAULT 0,
        sends         integer NOT NULL DEFAULT 1,
        created_at    timestamptz NOT NULL,
        last_sent_at  timestamptz NOT NULL,
        expires_at    timestamptz NOT NULL,
        consumed_at   timestamptz
      );
      -- One pending verification per customer.
      CREATE UNIQUE INDEX uq_email_verifications_pending ON email_verifications (cupid) WHERE consumed_at IS NULL;
      CREATE INDEX idx_email_verifications_created ON email_verifications (created_at);
      CREATE TABLE email_deliveries (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        cupid           text NOT NULL,
        recipient_hash  bytea NOT NULL,
        purpose         text NOT NULL CHECK (purpose IN ('verify', 'login')),
        created_at      timestamptz NOT NULL
      );
      CREATE INDEX idx_email_deliveries_recipient ON email_deliveries (recipient_hash, created_at);
      CREATE INDEX idx_email_deliveries_created ON email_deliveries (created_at);
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE email_deliveries; DROP TABLE email_verifications; DROP TABLE customer_emails;`);
  }
}
