import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * RFC 9449 §10: an authorization request may name the DPoP key the client will redeem its code with
 * (`dpop_jkt`, the key's SHA-256 JWK thumbprint, RFC 7638). The code keeps it, and the token endpoint redeems
 * the code only with a DPoP proof of that key: a code stolen on its way back to the client is worthless
 * without the client's private key, whatever else the thief has. NULL for codes of requests that named none.
 * A new nullable column: no rewrite, no default to fill.
 */
export class AuthorizationCodeDpopJkt1796096400000 implements MigrationInterface {
  name = 'AuthorizationCodeDpopJkt1796096400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE authorization_codes
        ADD COLUMN dpop_jkt text CONSTRAINT authorization_codes_dpop_jkt_format CHECK (dpop_jkt ~ '^[A-Za-z0-9_-]{43}$')
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE authorization_codes DROP COLUMN dpop_jkt`);
  }
}
