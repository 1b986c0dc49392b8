import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the login journeys add: the outcome each consumed step established (auth_transactions.result),
 * and the failed-login counters behind brute-force protection, shared by every instance.
 */
export class Journeys1764000000002 implements MigrationInterface {
  name = 'Journeys1764000000002';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      -- What a passed step established, e.g. {"amr": ["pwd"], "cupid": "...", "mfaRequired": false}.
      ALTER TABLE auth_transactions ADD COLUMN result jsonb;

      -- One row per subject that failed to log in: an account ('account:<CUPID or username>') or an
      -- IP address ('ip:<address>'). Counters, not events: the events are in audit_logs.
      CREATE TABLE login_attempts (
        subject               text PRIMARY KEY CHECK (subject ~ '^(account|ip):.+$' AND length(subject) <= 300),
        consecutive_failures  integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
        window_started_at     timestamptz NOT NULL DEFAULT now(),
        window_failures       integer NOT NULL DEFAULT 0 CHECK (window_failures >= 0),
        last_failure_at       timestamptz,
        locked_until          timestamptz,
        updated_at            timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX idx_login_attempts_locked ON login_attempts (locked_until) WHERE locked_until IS NOT NULL;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TABLE IF EXISTS login_attempts;
      ALTER TABLE auth_transactions DROP COLUMN IF EXISTS result;
    `);
  }
}
