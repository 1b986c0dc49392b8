import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tables beside the seven core ones that OAuth 2.0 / OpenID Connect needs: registered clients,
 * signing keys (private part encrypted at rest) and one-time authorization codes. Refresh tokens gain
 * the encrypted copy of the response their rotation produced, kept for the rotation grace window.
 */
export class OAuth1764000000001 implements MigrationInterface {
  name = 'OAuth1764000000001';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TYPE oauth_client_type AS ENUM ('PUBLIC', 'CONFIDENTIAL');
      CREATE TYPE signing_key_status AS ENUM ('ACTIVE', 'RETIRED');

      CREATE TABLE oauth_clients (
        client_id                  text PRIMARY KEY CHECK (client_id ~ '^[A-Za-z0-9._~-]{3,128}$'),
        name                       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        type                       oauth_client_type NOT NULL,
        secret_hash                text,
        redirect_uris              text[] NOT NULL DEFAULT '{}',
        post_logout_redirect_uris  text[] NOT NULL DEFAULT '{}',
        grant_types                text[] NOT NULL,
        scopes                     text[] NOT NULL DEFAULT '{openid}',
        can_introspect             boolean NOT NULL DEFAULT false,
        access_token_ttl_seconds   integer CHECK (access_token_ttl_seconds BETWEEN 30 AND 3600),
        id_token_ttl_seconds       integer CHECK (id_token_ttl_seconds BETWEEN 30 AND 3600),
        session_idle_ttl_seconds   integer CHECK (session_idle_ttl_seconds > 0),
        session_absolute_ttl_seconds integer CHECK (session_absolute_ttl_seconds > 0),
        active                     boolean NOT NULL DEFAULT true,
        created_at                 timestamptz NOT NULL DEFAULT now(),
        updated_at                 timestamptz NOT NULL DEFAULT now(),
        -- A confidential client authenticates with a secret; a public one cannot keep one.
        CHECK ((type = 'CONFIDENTIAL') = (secret_hash IS NOT NULL)),
        CHECK (grant_types <@ ARRAY['authorization_code', 'refresh_token', 'client_credentials']::text[]),
        CHECK (type = 'CONFIDENTIAL' OR NOT ('client_credentials' = ANY (grant_types))),
        CHECK (NOT ('authorization_code' = ANY (grant_types)) OR cardinality(redirect_uris) > 0)
      );

      CREATE TABLE signing_keys (
        kid                    text PRIMARY KEY,
        alg                    text NOT NULL CHECK (alg IN ('ES256', 'RS256')),
        public_jwk             jsonb NOT NULL,
        -- AES-256-GCM under the key-encryption key: iv (12) | tag (16) | ciphertext of the PKCS#8 DER.
        private_key_encrypted  bytea NOT NULL,
        -- Which key-encryption key sealed it (first 8 bytes of its SHA-256, hex), to fail clearly on a wrong KEK.
        kek_id                 text NOT NULL,
        status                 signing_key_status NOT NULL DEFAULT 'ACTIVE',
        created_at             timestamptz NOT NULL DEFAULT now(),
        retired_at             timestamptz,
        -- A retired key stays in the JWKS until every token it signed has expired.
        publish_until          timestamptz,
        CHECK ((status = 'RETIRED') = (retired_at IS NOT NULL AND publish_until IS NOT NULL))
      );
      -- At most one key signs at a time.
      CREATE UNIQUE INDEX idx_signing_keys_one_active ON signing_keys (status) WHERE status = 'ACTIVE';

      CREATE TABLE authorization_codes (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code_hash       bytea NOT NULL CHECK (octet_length(code_hash) = 32),
        client_id       text NOT NULL REFERENCES oauth_clients (client_id),
        session_id      uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        cupid           text NOT NULL CHECK (length(cupid) BETWEEN 1 AND 64),
        redirect_uri    text NOT NULL,
        code_challenge  text NOT NULL CHECK (code_challenge ~ '^[A-Za-z0-9_-]{43}$'),
        nonce           text,
        scope           text NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        expires_at      timestamptz NOT NULL,
        redeemed_at     timestamptz,
        CHECK (expires_at > created_at)
      );
      CREATE UNIQUE INDEX idx_authorization_codes_hash ON authorization_codes (code_hash);
      CREATE INDEX idx_authorization_codes_session ON authorization_codes (session_id);
      CREATE INDEX idx_authorization_codes_expiry ON authorization_codes (expires_at);

      ALTER TABLE tokens ADD COLUMN rotation_response bytea;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE tokens DROP COLUMN IF EXISTS rotation_response;
      DROP TABLE IF EXISTS authorization_codes;
      DROP TABLE IF EXISTS signing_keys;
      DROP TABLE IF EXISTS oauth_clients;
      DROP TYPE IF EXISTS signing_key_status;
      DROP TYPE IF EXISTS oauth_client_type;
    `);
  }
}
