import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Single sign-on and step-up (helper "sso", issue 15).
 * - sessions.cookie_hash: SHA-256 of the provider session cookie (the browser's proof that it holds this
 *   session); only the hash is stored, so a database read never yields a usable cookie. Unique: one cookie
 *   names one session.
 * - sessions.client_ids: every client that received a code under the session (SSO signs several in).
 * - oauth_clients.min_acr: the lowest level of assurance the client accepts (src/common/assurance.ts).
 * - auth_contexts.options: the OIDC request's parameters a journey acts on (acr asked, login_hint, step-up
 *   binding to an existing session, transaction details), written once at the start like its other inputs.
 * - push_challenges.transaction_hash: the transaction a push approves (dynamic linking): the device must sign it.
 */
export class SsoProviderSessions1796080059067 implements MigrationInterface {
  name = 'SsoProviderSessions1796080059067';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE sessions ADD COLUMN cookie_hash bytea`);
    await db.query(`ALTER TABLE sessions ADD COLUMN client_ids text[] NOT NULL DEFAULT '{}'`);
    await db.query(`UPDATE sessions SET client_ids = ARRAY[client_id]`);
    await db.query(
      `CREATE UNIQUE INDEX idx_sessions_cookie_hash ON sessions (cookie_hash) WHERE cookie_hash IS NOT NULL`,
    );
    await db.query(`ALTER TABLE oauth_clients ADD COLUMN min_acr text`);
    await db.query(`ALTER TABLE auth_contexts ADD COLUMN options jsonb NOT NULL DEFAULT '{}'`);
    await db.query(`ALTER TABLE push_challenges ADD COLUMN transaction_hash text`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE push_challenges DROP COLUMN IF EXISTS transaction_hash`);
    await db.query(`ALTER TABLE auth_contexts DROP COLUMN IF EXISTS options`);
    await db.query(`ALTER TABLE oauth_clients DROP COLUMN IF EXISTS min_acr`);
    await db.query(`DROP INDEX IF EXISTS idx_sessions_cookie_hash`);
    await db.query(`ALTER TABLE sessions DROP COLUMN IF EXISTS client_ids`);
    await db.query(`ALTER TABLE sessions DROP COLUMN IF EXISTS cookie_hash`);
  }
}
