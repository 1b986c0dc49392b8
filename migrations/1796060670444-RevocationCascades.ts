import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Revocation cascades (helper "revocation"):
 * - sessions.directory_checked_at: when the directory last said this customer may sign in, so a refresh
 *   asks it again at least once per REFRESH_DIRECTORY_CHECK_SECONDS (a locked customer loses access);
 * - the indexes that find what a revoked device or a deactivated client must end, without a scan;
 * - cleanup_expired_sessions no longer waits for a token row a refresh holds: a refresh locks its token
 *   then its session, so the job (session then tokens) skips locked tokens instead of deadlocking. A
 *   skipped token is dead anyway (its session has ended) and cleanup_expired_tokens ends its row later.
 */
export class RevocationCascades1796060670444 implements MigrationInterface {
  name = 'RevocationCascades1796060670444';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE sessions ADD COLUMN directory_checked_at timestamptz`);
    await db.query(`UPDATE sessions SET directory_checked_at = auth_time WHERE status = 'ACTIVE'`);
    await db.query(
      `CREATE INDEX idx_sessions_trusted_device_active ON sessions (trusted_device_id) WHERE status = 'ACTIVE' AND trusted_device_id IS NOT NULL`,
    );
    await db.query(`CREATE INDEX idx_sessions_client_active ON sessions (client_id) WHERE status = 'ACTIVE'`);
    await db.query(
      `CREATE INDEX idx_tokens_client_sessionless_active ON tokens (client_id) WHERE session_id IS NULL AND status = 'ACTIVE'`,
    );
    await db.query(`
      CREATE OR REPLACE FUNCTION cleanup_expired_sessions(batch_size integer DEFAULT 1000, as_of timestamptz DEFAULT now()) RETURNS integer
      LANGUAGE sql AS $$
        WITH due AS (
          SELECT id FROM sessions
           WHERE status = 'ACTIVE' AND (idle_expires_at <= as_of OR absolute_expires_at <= as_of)
           ORDER BY idle_expires_at LIMIT batch_size FOR UPDATE SKIP LOCKED
        ), changed AS (
          UPDATE sessions s SET status = 'EXPIRED' FROM due WHERE s.id = due.id RETURNING s.id
        ), free_tokens AS (
          SELECT t.id FROM tokens t JOIN changed ON t.session_id = changed.id WHERE t.status = 'ACTIVE' FOR UPDATE OF t SKIP LOCKED
        ), tokens_expired AS (
          UPDATE tokens t SET status = 'EXPIRED' FROM free_tokens WHERE t.id = free_tokens.id RETURNING 1
        )
        SELECT count(*)::integer FROM changed
      $$;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE OR REPLACE FUNCTION cleanup_expired_sessions(batch_size integer DEFAULT 1000, as_of timestamptz DEFAULT now()) RETURNS integer
      LANGUAGE sql AS $$
        WITH due AS (
          SELECT id FROM sessions
           WHERE status = 'ACTIVE' AND (idle_expires_at <= as_of OR absolute_expires_at <= as_of)
           ORDER BY idle_expires_at LIMIT batch_size FOR UPDATE SKIP LOCKED
        ), changed AS (
          UPDATE sessions s SET status = 'EXPIRED' FROM due WHERE s.id = due.id RETURNING s.id
        ), tokens_expired AS (
          UPDATE tokens t SET status = 'EXPIRED' FROM changed
           WHERE t.session_id = changed.id AND t.status = 'ACTIVE' RETURNING 1
        )
        SELECT count(*)::integer FROM changed
      $$;
    `);
    await db.query(`DROP INDEX IF EXISTS idx_tokens_client_sessionless_active`);
    await db.query(`DROP INDEX IF EXISTS idx_sessions_client_active`);
    await db.query(`DROP INDEX IF EXISTS idx_sessions_trusted_device_active`);
    await db.query(`ALTER TABLE sessions DROP COLUMN IF EXISTS directory_checked_at`);
  }
}
