import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Trusted devices, push approval and eSign: what a journey asks of the device (bind it, prove it),
 * the documents customers must sign and the evidence of each signature.
 */
export class DevicesAndEsign1764000000005 implements MigrationInterface {
  name = 'DevicesAndEsign1764000000005';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      -- Inputs of the journey: the frontend asked to bind this device; the device says it is bound (by key thumbprint).
      ALTER TABLE auth_contexts ADD COLUMN bind_device boolean NOT NULL DEFAULT false;
      ALTER TABLE auth_contexts ADD COLUMN device_key_thumbprint text CHECK (length(device_key_thumbprint) BETWEEN 1 AND 128);

      -- A pending push challenge is found by its id when the device answers.
      CREATE INDEX idx_auth_tx_push_challenge ON auth_transactions ((challenge->>'pushChallengeId'))
        WHERE step = 'PUSH' AND status = 'PENDING';

      CREATE TABLE esign_documents (
        document_id  text NOT NULL CHECK (document_id ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
        version      text NOT NULL CHECK (length(version) BETWEEN 1 AND 64),
        title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
        url          text NOT NULL,
        sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        active       boolean NOT NULL DEFAULT true,
        created_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (document_id, version)
      );

      -- Evidence of each signature: what was signed (id, version, SHA-256 of the content), by whom, when, from where.
      CREATE TABLE esign_signatures (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        cupid        text NOT NULL CHECK (length(cupid) BETWEEN 1 AND 64),
        document_id  text NOT NULL,
        version      text NOT NULL,
        sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        context_id   uuid REFERENCES auth_contexts (id) ON DELETE SET NULL,
        ip_address   inet,
        user_agent   text,
        device_id    text,
        signed_at    timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (document_id, version) REFERENCES esign_documents (document_id, version),
        UNIQUE (cupid, document_id, version)
      );
      CREATE INDEX idx_esign_signatures_cupid ON esign_signatures (cupid, signed_at DESC);
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TABLE IF EXISTS esign_signatures;
      DROP TABLE IF EXISTS esign_documents;
      DROP INDEX IF EXISTS idx_auth_tx_push_challenge;
      ALTER TABLE auth_contexts DROP COLUMN IF EXISTS device_key_thumbprint;
      ALTER TABLE auth_contexts DROP COLUMN IF EXISTS bind_device;
    `);
  }
}
