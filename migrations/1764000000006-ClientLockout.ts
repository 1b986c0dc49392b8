import { MigrationInterface, QueryRunner } from 'typeorm';

/** Failed client authentications are counted beside failed logins ('client:<client_id>' subjects). */
export class ClientLockout1764000000006 implements MigrationInterface {
  name = 'ClientLockout1764000000006';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE login_attempts DROP CONSTRAINT login_attempts_subject_check;
      ALTER TABLE login_attempts ADD CONSTRAINT login_attempts_subject_check
        CHECK (subject ~ '^(account|ip|client):.+$' AND length(subject) <= 300);
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DELETE FROM login_attempts WHERE subject LIKE 'client:%';
      ALTER TABLE login_attempts DROP CONSTRAINT login_attempts_subject_check;
      ALTER TABLE login_attempts ADD CONSTRAINT login_attempts_subject_check
        CHECK (subject ~ '^(account|ip):.+$' AND length(subject) <= 300);
    `);
  }
}
