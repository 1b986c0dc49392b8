import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 17, item 4 (helper "email"): recovery codes and the RECOVERY_CODE journey step. Ten codes per batch, shown
 * once, stored only as HMAC-SHA256 under a key derived from the key-encryption key (keyed by the customer, so equal
 * codes of two customers differ). A code is used once: a conditional UPDATE ... WHERE used_at IS NULL. A new batch
 * revokes the codes of the one before.
 */
export class EmailHelperRecoveryCodes1796093200000 implements MigrationInterface {
  name = 'EmailHelperRecoveryCodes1796093200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TYPE auth_step_kind ADD VALUE IF NOT EXISTS 'RECOVERY_CODE'`);
    await db.query(`
      CREATE TABLE recovery_codes (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        cupid       text NOT NULL CHECK (length(cupid) BETWEEN 1 AND 64),
        batch_id    uuid NOT NULL,
        code_hash   bytea NOT NULL,
        created_at  timestamptz NOT NULL,
        used_at     timestamptz,
        revoked_at  timestamptz
      );
      CREATE UNIQUE INDEX uq_recovery_codes_hash ON recovery_codes (cupid, code_hash);
      CREATE INDEX idx_recovery_codes_live ON recovery_codes (cupid) WHERE used_at IS NULL AND revoked_at IS NULL;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE recovery_codes`);
  }
}
