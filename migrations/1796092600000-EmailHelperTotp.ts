import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 17, item 2 (helper "email"): TOTP credentials (RFC 6238) and the TOTP journey step.
 *
 * The secret is sealed at rest (AES-256-GCM under a key derived from the key-encryption key, its row id bound
 * as associated data: src/common/factor-keys.ts). A credential is usable once confirmed by a first code.
 * `last_used_step` is the time step of the last code accepted: a code is accepted only by a conditional UPDATE
 * that moves it forward, so a code is used once across every instance (no replay within its 30 s or drift window).
 */
export class EmailHelperTotp1796092600000 implements MigrationInterface {
  name = 'EmailHelperTotp1796092600000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TYPE auth_step_kind ADD VALUE IF NOT EXISTS 'TOTP'`);
    await db.query(`
      CREATE TABLE totp_credentials (
        id              uuid PRIMARY KEY,
        cupid           text NOT NULL CHECK (length(cupid) BETWEEN 1 AND 64),
        secret_sealed   bytea NOT NULL,
        created_at      timestamptz NOT NULL,
        confirmed_at    timestamptz,
        last_used_step  bigint,
        last_used_at    timestamptz,
        revoked_at      timestamptz
      );
      CREATE INDEX idx_totp_credentials_cupid ON totp_credentials (cupid) WHERE revoked_at IS NULL;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    // An enum value cannot be dropped; the TOTP kind stays unused.
    await db.query(`DROP TABLE totp_credentials`);
  }
}
