import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Support tools (helper "recovery", issue 17 item 7): an agent's reset of a customer's second factors.
 * Where FACTOR_RESET_APPROVAL=two-agents a reset waits here (status PENDING) until a second, different agent
 * approves it within a day; without approval it is recorded APPLIED at once. The reason is the agent's words
 * (no secret); the CHECK keeps the approver distinct from the requester even against a bug in the code.
 */
export class RecoveryFactorResets1796082582340 implements MigrationInterface {
  name = 'RecoveryFactorResets1796082582340';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE factor_resets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        cupid varchar(64) NOT NULL,
        reason text NOT NULL,
        requested_by text NOT NULL,
        requested_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        status text NOT NULL CHECK (status IN ('PENDING', 'APPLIED')),
        approved_by text,
        applied_at timestamptz,
        CHECK (approved_by IS NULL OR approved_by <> requested_by)
      )`);
    await db.query(`CREATE INDEX idx_factor_resets_cupid ON factor_resets (cupid, requested_at DESC)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE IF EXISTS factor_resets`);
  }
}
