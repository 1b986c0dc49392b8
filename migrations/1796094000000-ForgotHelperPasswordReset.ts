import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 17, item 6 (helper "forgot"): the forgot-password journey's own steps. RESET_USERNAME names the account
 * (no password), SET_PASSWORD sets the new one once a registered factor is proven. The journey reuses the second
 * factor steps in between; nothing else is stored.
 */
export class ForgotHelperPasswordReset1796094000000 implements MigrationInterface {
  name = 'ForgotHelperPasswordReset1796094000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TYPE auth_step_kind ADD VALUE IF NOT EXISTS 'RESET_USERNAME'`);
    await db.query(`ALTER TYPE auth_step_kind ADD VALUE IF NOT EXISTS 'SET_PASSWORD'`);
  }

  async down(): Promise<void> {
    // PostgreSQL cannot drop an enum value; rows using them go with their journeys.
  }
}
