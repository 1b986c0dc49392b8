import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 16 item 2 (helper "consent"): what a customer allowed a client, per scope (consent_records), and the
 * CONSENT journey step. The primary key (cupid, client_id, scope) starts with the customer, so it also serves
 * the customer's listing (/me/consents, the agent view); the partial index on client_id serves the client's
 * deactivation. Revocation kills the customer's tokens of that client at once: the partial index on tokens
 * (cupid, client_id) finds the live ones without scanning the table.
 */
export class ConsentHelperConsentRecords1796095200000 implements MigrationInterface {
  name = 'ConsentHelperConsentRecords1796095200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TYPE auth_step_kind ADD VALUE IF NOT EXISTS 'CONSENT'`);
    await db.query(`
      CREATE TABLE consent_records (
        cupid       text NOT NULL CHECK (length(cupid) BETWEEN 1 AND 64),
        client_id   text NOT NULL REFERENCES oauth_clients (client_id),
        scope       text NOT NULL CHECK (length(scope) BETWEEN 1 AND 128),
        granted_at  timestamptz NOT NULL,
        updated_at  timestamptz NOT NULL,
        revoked     boolean NOT NULL DEFAULT false,
        revoked_at  timestamptz,
        PRIMARY KEY (cupid, client_id, scope),
        CHECK (revoked = (revoked_at IS NOT NULL)),
        CHECK (updated_at >= granted_at)
      );
      CREATE INDEX idx_consent_records_client_live ON consent_records (client_id) WHERE NOT revoked;
      CREATE INDEX idx_tokens_cupid_client_live ON tokens (cupid, client_id) WHERE status IN ('ACTIVE', 'ROTATED');
      CREATE INDEX idx_authorization_codes_cupid_client_unredeemed ON authorization_codes (cupid, client_id)
        WHERE redeemed_at IS NULL;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP INDEX IF EXISTS idx_authorization_codes_cupid_client_unredeemed;
      DROP INDEX IF EXISTS idx_tokens_cupid_client_live;
      DROP TABLE IF EXISTS consent_records;
    `);
    // An enum value cannot be dropped; the CONSENT kind stays unused.
  }
}
