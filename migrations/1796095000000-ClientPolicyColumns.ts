import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 16 (third-party apps), the columns every part needs, landed first so the parts can be built side by side:
 * - first_party: a third-party client's authorizations need the customer's consent;
 * - token_endpoint_auth_method (RFC 7591 §2): null keeps today's rule (public: none; confidential: a secret by
 *   basic or post), 'private_key_jwt' (RFC 7523) authenticates with the client's registered keys only;
 * - jwks / jwks_uri (RFC 7591 §2): the client's public keys, one or the other;
 * - subject_type / sector_identifier (OpenID Connect Core §8, Registration §2): pairwise subjects per sector;
 * - dpop_bound_access_tokens (RFC 9449 §5.2): the client must present DPoP proofs;
 * - allowed_claims: the claims the client may receive (null: every claim of its scopes);
 * - refresh_token_ttl_seconds: a per-client refresh lifetime (null: the service's);
 * - previous_secret_hash / previous_secret_expires_at: a rotated secret stays valid for an overlap;
 * - deactivated_at: when the client was soft-deleted (active = false).
 */
export class ClientPolicyColumns1796095000000 implements MigrationInterface {
  name = 'ClientPolicyColumns1796095000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE oauth_clients
        ADD COLUMN first_party boolean NOT NULL DEFAULT true,
        ADD COLUMN token_endpoint_auth_method text
          CHECK (token_endpoint_auth_method IN ('none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt')),
        ADD COLUMN jwks jsonb,
        ADD COLUMN jwks_uri text,
        ADD COLUMN subject_type text NOT NULL DEFAULT 'public' CHECK (subject_type IN ('public', 'pairwise')),
        ADD COLUMN sector_identifier text,
        ADD COLUMN dpop_bound_access_tokens boolean NOT NULL DEFAULT false,
        ADD COLUMN allowed_claims text[],
        ADD COLUMN refresh_token_ttl_seconds integer CHECK (refresh_token_ttl_seconds > 0),
        ADD COLUMN previous_secret_hash text,
        ADD COLUMN previous_secret_expires_at timestamptz,
        ADD COLUMN deactivated_at timestamptz,
        ADD CONSTRAINT oauth_clients_one_key_source CHECK (jwks IS NULL OR jwks_uri IS NULL),
        ADD CONSTRAINT oauth_clients_pairwise_sector CHECK (subject_type = 'public' OR sector_identifier IS NOT NULL)
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE oauth_clients
        DROP CONSTRAINT oauth_clients_pairwise_sector,
        DROP CONSTRAINT oauth_clients_one_key_source,
        DROP COLUMN deactivated_at, DROP COLUMN previous_secret_expires_at, DROP COLUMN previous_secret_hash,
        DROP COLUMN refresh_token_ttl_seconds, DROP COLUMN allowed_claims, DROP COLUMN dpop_bound_access_tokens,
        DROP COLUMN sector_identifier, DROP COLUMN subject_type, DROP COLUMN jwks_uri, DROP COLUMN jwks,
        DROP COLUMN token_endpoint_auth_method, DROP COLUMN first_party
    `);
  }
}
