import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 17, item 3 (helper "enrol"): the PASSKEY_ENROL journey step, offered after a multi-factor sign-in to a
 * customer without a passkey (PASSKEY_ENROLMENT_OFFER). The credential goes to the existing passkeys table; only
 * the step kind is new. Timestamped after the migrations already on main so it runs last wherever it lands.
 */
export class EnrolHelperPasskeyEnrolStep1796094500000 implements MigrationInterface {
  name = 'EnrolHelperPasskeyEnrolStep1796094500000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TYPE auth_step_kind ADD VALUE IF NOT EXISTS 'PASSKEY_ENROL'`);
  }

  async down(): Promise<void> {
    // PostgreSQL cannot drop an enum value; rows of this kind would have nowhere to go anyway.
  }
}
