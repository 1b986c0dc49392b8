import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 16 items 4 and 5 (private_key_jwt, RFC 7523; DPoP, RFC 9449):
 * - used_jtis: the JWT ids already accepted, one table for every instance, so a client assertion or a DPoP proof
 *   is accepted once (RFC 7523 §3 item 7, RFC 9449 §11.1). `issuer` is the client id (assertions) or the key's
 *   RFC 7638 thumbprint (proofs); a row is kept until the JWT it names could no longer be accepted (`expires_at`),
 *   then the purge-used-jtis job deletes it;
 * - tokens.dpop_jkt: the thumbprint a DPoP-bound access or refresh token is bound to (`cnf.jkt`, RFC 9449 §6).
 */
export class ProofsHelperUsedJtisAndDpop1796095400000 implements MigrationInterface {
  name = 'ProofsHelperUsedJtisAndDpop1796095400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE used_jtis (
        kind text NOT NULL CHECK (kind IN ('client_assertion', 'dpop_proof')),
        issuer text NOT NULL,
        jti text NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (kind, issuer, jti)
      )`);
    await db.query('CREATE INDEX idx_used_jtis_expires_at ON used_jtis (expires_at)');
    await db.query('ALTER TABLE tokens ADD COLUMN dpop_jkt text');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE tokens DROP COLUMN dpop_jkt');
    await db.query('DROP TABLE used_jtis');
  }
}
