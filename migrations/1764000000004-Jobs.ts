import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scheduled jobs: one row per job records its last run (shared by every instance, so a scheduled slot
 * runs once and "last success" is known cluster-wide), and a cleanup function for tokens that outlived
 * their expiry while their session lives on.
 */
export class Jobs1764000000004 implements MigrationInterface {
  name = 'Jobs1764000000004';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE job_runs (
        job_name          text PRIMARY KEY CHECK (job_name ~ '^[a-z][a-z0-9-]{1,63}$'),
        last_slot         timestamptz,
        last_started_at   timestamptz,
        last_finished_at  timestamptz,
        last_success_at   timestamptz,
        last_status       text CHECK (last_status IN ('RUNNING', 'SUCCESS', 'FAILURE')),
        last_rows         bigint NOT NULL DEFAULT 0,
        last_error        text,
        instance          text
      );

      CREATE FUNCTION cleanup_expired_tokens(batch_size integer DEFAULT 1000, as_of timestamptz DEFAULT now()) RETURNS integer
      LANGUAGE sql AS $$
        WITH due AS (
          SELECT id FROM tokens
           WHERE status = 'ACTIVE' AND expires_at <= as_of
           ORDER BY expires_at LIMIT batch_size FOR UPDATE SKIP LOCKED
        ), changed AS (
          UPDATE tokens t SET status = 'EXPIRED', rotation_response = NULL FROM due WHERE t.id = due.id RETURNING 1
        )
        SELECT count(*)::integer FROM changed
      $$;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION IF EXISTS cleanup_expired_tokens(integer, timestamptz);
      DROP TABLE IF EXISTS job_runs;
    `);
  }
}
