import { MigrationInterface, QueryRunner } from 'typeorm';

/** When the customer last passed a full second factor with this device: its MFA skip lasts a while only. */
export class DeviceTrustWindow1764000000007 implements MigrationInterface {
  name = 'DeviceTrustWindow1764000000007';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE trusted_devices ADD COLUMN last_mfa_at timestamptz`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE trusted_devices DROP COLUMN IF EXISTS last_mfa_at`);
  }
}
