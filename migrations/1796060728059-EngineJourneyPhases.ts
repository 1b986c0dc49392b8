import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A journey step runs in phases so that no database connection is held while a dependency (LDAP, SMS,
 * push, risk vendor) is called: a short transaction claims the step's transaction token with a lease
 * (`claim_id`, `claimed_until`: a crashed instance's claim expires), the dependency is called, and a
 * second short transaction records the outcome. `pending_send` keeps what a send step is about to send
 * (the SMS code and its idempotency key, the push challenge), sealed with a key only the transaction
 * token derives, so a retry with the same token sends the very same message. `response_sealed` keeps
 * the answer given when the token was spent, sealed the same way, so a client that lost the reply and
 * retries with the same token and body gets it again (`responded_at` bounds that window).
 */
export class EngineJourneyPhases1796060728059 implements MigrationInterface {
  name = 'EngineJourneyPhases1796060728059';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE auth_transactions
        ADD COLUMN claim_id uuid,
        ADD COLUMN claimed_until timestamptz,
        ADD COLUMN pending_send bytea,
        ADD COLUMN response_sealed bytea,
        ADD COLUMN responded_at timestamptz,
        ADD CONSTRAINT chk_auth_tx_claim CHECK ((claim_id IS NULL) = (claimed_until IS NULL))
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE auth_transactions
        DROP CONSTRAINT IF EXISTS chk_auth_tx_claim,
        DROP COLUMN IF EXISTS responded_at,
        DROP COLUMN IF EXISTS response_sealed,
        DROP COLUMN IF EXISTS pending_send,
        DROP COLUMN IF EXISTS claimed_until,
        DROP COLUMN IF EXISTS claim_id
    `);
  }
}
