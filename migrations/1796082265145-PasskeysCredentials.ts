import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Passkeys (helper "passkeys", issue 17 item 3; WebAuthn Level 2/3).
 * - passkey_credentials: one registered public-key credential per row, keyed by its credential id (base64url,
 *   unique across customers: the authenticator's id names one credential). Public keys are not secrets (COSE,
 *   as the authenticator gave them). sign_count is the last signature counter seen (a lower one later means a
 *   cloned authenticator, §6.1.1); backup_eligible/backup_state are the BE/BS flags (§6.1, synced passkeys).
 *   Revoked rows stay (the id stays taken; the audit trail can name them).
 * - passkey_registrations: a /me registration ceremony's challenge, kept only as its SHA-256, bound to the
 *   customer and the session that asked for it; spent once (used_at) by a conditional UPDATE, short TTL.
 * - auth_step_kind gains PASSKEY (second factor) and PASSKEY_LOGIN (a passwordless primary step); journey
 *   challenges ride on their single-use transaction rows like every other step's.
 */
export class PasskeysCredentials1796082265145 implements MigrationInterface {
  name = 'PasskeysCredentials1796082265145';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TYPE auth_step_kind ADD VALUE IF NOT EXISTS 'PASSKEY'`);
    await db.query(`ALTER TYPE auth_step_kind ADD VALUE IF NOT EXISTS 'PASSKEY_LOGIN'`);
    await db.query(`
      CREATE TABLE passkey_credentials (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        cupid           text NOT NULL,
        credential_id   text NOT NULL UNIQUE,
        public_key      bytea NOT NULL,
        sign_count      bigint NOT NULL DEFAULT 0,
        transports      text[] NOT NULL DEFAULT '{}',
        backup_eligible boolean NOT NULL,
        backup_state    boolean NOT NULL,
        aaguid          text NOT NULL,
        name            text NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        last_used_at    timestamptz,
        revoked_at      timestamptz,
        revoked_by      text,
        revoke_reason   text
      )`);
    await db.query(
      `CREATE INDEX idx_passkey_credentials_cupid ON passkey_credentials (cupid) WHERE revoked_at IS NULL`,
    );
    await db.query(`
      CREATE TABLE passkey_registrations (
        challenge_hash bytea PRIMARY KEY,
        cupid          text NOT NULL,
        session_id     uuid NOT NULL,
        created_at     timestamptz NOT NULL DEFAULT now(),
        expires_at     timestamptz NOT NULL,
        used_at        timestamptz
      )`);
    await db.query(`CREATE INDEX idx_passkey_registrations_expires ON passkey_registrations (expires_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE IF EXISTS passkey_registrations`);
    await db.query(`DROP TABLE IF EXISTS passkey_credentials`);
    // Enum values cannot be dropped; PASSKEY and PASSKEY_LOGIN stay unused.
  }
}
