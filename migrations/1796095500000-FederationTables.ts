import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 21 (federation): sign-in through upstream identity providers, and their tokens kept per link.
 * The customer's documents name these tables (in brackets):
 * - federation_providers [ServiceConfigs]: an upstream provider. 'oidc' ones by issuer (discovery), 'oauth2' ones
 *   by endpoints (a userinfo endpoint gives the subject). client_secret_sealed is AES-256-GCM under a key derived
 *   from the key-encryption key (src/common/factor-keys.ts), the provider id bound as associated data; null for a
 *   public (PKCE-only) client. acr is the level of assurance a sign-in through it gives (src/common/assurance.ts);
 *   satisfies_mfa lets that sign-in stand in for the second factor.
 * - federation_links [UserProviders]: a provider's subject linked to a CUPID. A subject is linked to one CUPID at
 *   a time (the partial unique index); an unlinked row stays for the history.
 * - federation_tokens [OAuthTokens]: the provider's tokens for a link, sealed; key_id names the key that sealed
 *   them, so a key-encryption-key rotation is visible row by row.
 * - federation_token_refreshes [TokenRefreshLog]: every refresh, its outcome and the provider's error code
 *   (never a token value).
 * - federation_sync_log [SyncLogs]: what each link did (linked, signed_in, unlinked, tokens_stored, ...).
 */
export class FederationTables1796095500000 implements MigrationInterface {
  name = 'FederationTables1796095500000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TYPE auth_step_kind ADD VALUE IF NOT EXISTS 'FEDERATED'`);
    await db.query(`
      CREATE TABLE federation_providers (
        id                      text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
        display_name            text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
        kind                    text NOT NULL CHECK (kind IN ('oidc', 'oauth2')),
        issuer                  text,
        authorization_endpoint  text,
        token_endpoint          text,
        userinfo_endpoint       text,
        client_id               text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 512),
        client_secret_sealed    bytea,
        scopes                  text[] NOT NULL DEFAULT '{}',
        redirect_uri            text NOT NULL,
        acr                     text NOT NULL,
        satisfies_mfa           boolean NOT NULL DEFAULT false,
        claims                  text[] NOT NULL DEFAULT '{}',
        settings                jsonb NOT NULL DEFAULT '{}',
        active                  boolean NOT NULL DEFAULT true,
        created_at              timestamptz NOT NULL DEFAULT now(),
        updated_at              timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT federation_providers_oidc_issuer CHECK (kind <> 'oidc' OR issuer IS NOT NULL),
        CONSTRAINT federation_providers_oauth2_endpoints CHECK (
          kind <> 'oauth2' OR (authorization_endpoint IS NOT NULL AND token_endpoint IS NOT NULL
            AND userinfo_endpoint IS NOT NULL))
      );

      CREATE TABLE federation_links (
        id               uuid PRIMARY KEY,
        cupid            text NOT NULL CHECK (length(cupid) BETWEEN 1 AND 64),
        provider_id      text NOT NULL REFERENCES federation_providers (id),
        subject          text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
        display_name     text,
        active           boolean NOT NULL DEFAULT true,
        sync_status      text NOT NULL DEFAULT 'ok' CHECK (sync_status IN ('ok', 'needs_reconsent', 'refresh_failed')),
        linked_at        timestamptz NOT NULL DEFAULT now(),
        last_sign_in_at  timestamptz,
        unlinked_at      timestamptz
      );
      CREATE UNIQUE INDEX uq_federation_links_subject ON federation_links (provider_id, subject) WHERE active;
      CREATE INDEX idx_federation_links_cupid ON federation_links (cupid);

      CREATE TABLE federation_tokens (
        link_id               uuid PRIMARY KEY REFERENCES federation_links (id),
        access_token_sealed   bytea NOT NULL,
        refresh_token_sealed  bytea,
        key_id                text NOT NULL,
        token_type            text NOT NULL,
        scope                 text NOT NULL DEFAULT '',
        expires_at            timestamptz,
        last_used_at          timestamptz,
        refreshed_at          timestamptz,
        metadata              jsonb NOT NULL DEFAULT '{}',
        updated_at            timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE federation_token_refreshes (
        id       bigserial PRIMARY KEY,
        link_id  uuid NOT NULL REFERENCES federation_links (id),
        trigger  text NOT NULL CHECK (trigger IN ('job', 'on_demand')),
        success  boolean NOT NULL,
        error    text,
        at       timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX idx_federation_token_refreshes_link ON federation_token_refreshes (link_id, at);

      CREATE TABLE federation_sync_log (
        id       bigserial PRIMARY KEY,
        link_id  uuid NOT NULL REFERENCES federation_links (id),
        action   text NOT NULL,
        details  jsonb NOT NULL DEFAULT '{}',
        at       timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX idx_federation_sync_log_link ON federation_sync_log (link_id, at);
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    // An enum value cannot be dropped; the FEDERATED kind stays unused.
    await db.query(`
      DROP TABLE federation_sync_log;
      DROP TABLE federation_token_refreshes;
      DROP TABLE federation_tokens;
      DROP TABLE federation_links;
      DROP TABLE federation_providers;
    `);
  }
}
