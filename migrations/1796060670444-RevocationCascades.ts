import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Revocation cascades (helper "revocation"):
 * - sessions.directory_checked_at: when the directory last said this customer may sign in, so a refresh
 *   asks it again at least once per REFRESH_DIRECTORY_CHECK_SECONDS (a locked customer loses access);
 * - the indexes that find what a revoked device or a deactivated client must end, without a scan.
 */
export class RevocationCascades1796060670444 implements MigrationInterface {
  name = 'RevocationCascades1796060670444';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE sessions ADD COLUMN directory_checked_at timestamptz`);
    await db.query(`UPDATE sessions SET directory_checked_at = auth_time WHERE status = 'ACTIVE'`);
    await db.query(`CREATE INDEX idx_sessions_trusted_device_active ON sessions (trusted_device_id) WHERE status = 'ACTIVE' AND trusted_device_id IS NOT NULL`);
    await db.query(`CREATE INDEX idx_sessions_client_active ON sessions (client_id) WHERE status = 'ACTIVE'`);
    await db.query(`CREATE INDEX idx_tokens_client_sessionless_active ON tokens (client_id) WHERE session_id IS NULL AND status = 'ACTIVE'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX IF EXISTS idx_tokens_client_sessionless_active`);
    await db.query(`DROP INDEX IF EXISTS idx_sessions_client_active`);
    await db.query(`DROP INDEX IF EXISTS idx_sessions_trusted_device_active`);
    await db.query(`ALTER TABLE sessions DROP COLUMN IF EXISTS directory_checked_at`);
  }
}
