import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Factors that only a factor can create, and factor budgets (issue 12).
 *
 * trusted_devices.bound_with_mfa: a device counts as a factor (approves a push, stands in for MFA) only
 * when it was bound in a journey that passed a second factor. Existing rows are backfilled from the data:
 * true only when the binding journey still exists and passed an SMS code. A push approval in that journey
 * is not taken as proof, because the approving device may itself have been bound by a password alone;
 * journeys already purged leave no proof either. Those devices stay listed but are inert until the
 * customer binds them again after a second factor (fail closed).
 *
 * push_prompts: every push sent, per journey and customer (budgets: 3 per journey, 5 per customer in
 * 15 minutes). mfa_code_failures and mfa_locks: wrong one-time codes per customer and the MFA lock they
 * engage (10 in 24 hours lock MFA for 15 minutes; an agent can lift it, with a reason).
 *
 * login_attempts gains 'customer:<CUPID>' subjects: failed logins of a username the directory resolves
 * count against the entry, so every spelling the directory folds together shares one counter.
 */
export class JourneysecFactorRules1796060665016 implements MigrationInterface {
  name = 'JourneysecFactorRules1796060665016';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE login_attempts DROP CONSTRAINT login_attempts_subject_check;
      ALTER TABLE login_attempts ADD CONSTRAINT login_attempts_subject_check
        CHECK (subject ~ '^(account|customer|ip|client):.+$' AND length(subject) <= 300);

      ALTER TABLE trusted_devices ADD COLUMN bound_with_mfa boolean NOT NULL DEFAULT false;
      UPDATE trusted_devices d SET bound_with_mfa = true
       WHERE EXISTS (SELECT 1 FROM auth_transactions t
                      WHERE t.context_id = d.bound_context_id AND t.status = 'CONSUMED'
                        AND COALESCE(t.result->>'step', t.step::text) = 'SMS_OTP' AND t.result->>'secondFactor' = 'true');

      CREATE TABLE push_prompts (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        context_id  uuid REFERENCES auth_contexts (id) ON DELETE SET NULL,
        cupid       text NOT NULL CHECK (length(cupid) BETWEEN 1 AND 64),
        sent_at     timestamptz NOT NULL
      );
      CREATE INDEX idx_push_prompts_cupid ON push_prompts (cupid, sent_at DESC);
      CREATE INDEX idx_push_prompts_context ON push_prompts (context_id);

      CREATE TABLE mfa_code_failures (
        id          bigserial PRIMARY KEY,
        cupid       text NOT NULL CHECK (length(cupid) BETWEEN 1 AND 64),
        context_id  uuid REFERENCES auth_contexts (id) ON DELETE SET NULL,
        failed_at   timestamptz NOT NULL
      );
      CREATE INDEX idx_mfa_code_failures_cupid ON mfa_code_failures (cupid, failed_at DESC);

      CREATE TABLE mfa_locks (
        cupid         text PRIMARY KEY CHECK (length(cupid) BETWEEN 1 AND 64),
        locked_at     timestamptz,
        locked_until  timestamptz,
        failures      integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
        cleared_at    timestamptz,
        cleared_by    text,
        clear_reason  text
      );
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TABLE IF EXISTS mfa_locks;
      DROP TABLE IF EXISTS mfa_code_failures;
      DROP TABLE IF EXISTS push_prompts;
      ALTER TABLE trusted_devices DROP COLUMN IF EXISTS bound_with_mfa;
      DELETE FROM login_attempts WHERE subject LIKE 'customer:%';
      ALTER TABLE login_attempts DROP CONSTRAINT login_attempts_subject_check;
      ALTER TABLE login_attempts ADD CONSTRAINT login_attempts_subject_check
        CHECK (subject ~ '^(account|ip|client):.+$' AND length(subject) <= 300);
    `);
  }
}
