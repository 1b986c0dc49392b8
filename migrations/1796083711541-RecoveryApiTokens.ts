import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API tokens (helper "recovery", issue 17 item 8): named, long-lived bearer tokens with an owner.
 * - api_token_owners: who holds tokens: a customer (cupid) or a service (an OAuth client) that owns tokens on
 *   behalf of customers. One owner row per customer or service.
 * - api_tokens: the token's SHA-256 only (the value, `ciam_at_` + 256 random bits, is shown once), its name,
 *   scopes, expiry, the customer it speaks for, and blocked/revoked flags with their times and actors.
 *   last_used_at is written at most once per API_TOKEN_LAST_USED_INTERVAL_SECONDS per token, not per request.
 */
export class RecoveryApiTokens1796083711541 implements MigrationInterface {
  name = 'RecoveryApiTokens1796083711541';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE api_token_owners (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_type text NOT NULL CHECK (owner_type IN ('CUSTOMER', 'SERVICE')),
        cupid varchar(64),
        client_id varchar(128),
        created_at timestamptz NOT NULL,
        CHECK ((owner_type = 'CUSTOMER' AND cupid IS NOT NULL AND client_id IS NULL)
            OR (owner_type = 'SERVICE' AND client_id IS NOT NULL))
      )`);
    await db.query(
      `CREATE UNIQUE INDEX idx_api_token_owners_customer ON api_token_owners (cupid) WHERE owner_type = 'CUSTOMER'`,
    );
    await db.query(
      `CREATE UNIQUE INDEX idx_api_token_owners_service ON api_token_owners (client_id) WHERE owner_type = 'SERVICE'`,
    );
    await db.query(`
      CREATE TABLE api_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL REFERENCES api_token_owners (id) ON DELETE CASCADE,
        cupid varchar(64),
        name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
        token_hash bytea NOT NULL,
        scopes text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL,
        expires_at timestamptz,
        last_used_at timestamptz,
        blocked_at timestamptz,
        blocked_by text,
        revoked_at timestamptz,
        revoked_by text
      )`);
    await db.query(`CREATE UNIQUE INDEX idx_api_tokens_hash ON api_tokens (token_hash)`);
    await db.query(`CREATE INDEX idx_api_tokens_owner ON api_tokens (owner_id, created_at DESC)`);
    await db.query(`CREATE INDEX idx_api_tokens_cupid ON api_tokens (cupid) WHERE cupid IS NOT NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE IF EXISTS api_tokens`);
    await db.query(`DROP TABLE IF EXISTS api_token_owners`);
  }
}
