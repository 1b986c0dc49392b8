import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 17 (helper "emailotp"): the EMAIL_OTP journey step, a one-time code mailed to the verified address. Its
 * sends count in email_deliveries (purpose `login`, already allowed), its code lives hashed on auth_transactions like
 * the SMS code: only the step kind is new.
 */
export class EmailotpHelperEmailOtpStep1796094100000 implements MigrationInterface {
  name = 'EmailotpHelperEmailOtpStep1796094100000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TYPE auth_step_kind ADD VALUE IF NOT EXISTS 'EMAIL_OTP'`);
  }

  async down(): Promise<void> {
    // An enum value cannot be dropped; the EMAIL_OTP kind stays unused.
  }
}
