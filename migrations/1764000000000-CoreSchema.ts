import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The seven core tables of the customer's design (ARCHITECTURE.md, "The seven core tables"), their enum
 * types, the indexes the documents name, two operational views, the cleanup functions the jobs call and
 * the monthly partitions of audit_logs.
 *
 * CUPID is the only customer reference kept: no names, passwords, phone numbers or emails live here.
 * Every secret (transaction token, token value, OTP) is stored as a hash (bytea) and never in clear.
 */
export class CoreSchema1764000000000 implements MigrationInterface {
  name = 'CoreSchema1764000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TYPE auth_context_status AS ENUM ('PENDING', 'COMPLETED', 'FAILED', 'EXPIRED');
      CREATE TYPE auth_channel AS ENUM ('WEB', 'MOBILE', 'API');
      CREATE TYPE auth_step_kind AS ENUM ('PASSWORD', 'SMS_OTP', 'PUSH', 'ESIGN', 'DEVICE_BIND', 'DEVICE_PROOF');
      CREATE TYPE auth_transaction_status AS ENUM ('PENDING', 'CONSUMED', 'FAILED', 'EXPIRED');
      CREATE TYPE drs_recommendation AS ENUM ('ALLOW', 'CHALLENGE', 'DENY');
      CREATE TYPE session_status AS ENUM ('ACTIVE', 'REVOKED', 'EXPIRED');
      CREATE TYPE token_type AS ENUM ('ACCESS', 'REFRESH', 'ID');
      CREATE TYPE token_status AS ENUM ('ACTIVE', 'ROTATED', 'REVOKED', 'EXPIRED');
      CREATE TYPE trusted_device_status AS ENUM ('ACTIVE', 'REVOKED');
      CREATE TYPE audit_actor_type AS ENUM ('CUSTOMER', 'AGENT', 'CLIENT', 'SYSTEM');
      CREATE TYPE audit_outcome AS ENUM ('SUCCESS', 'FAILURE');
    `);

    // One login journey. Its inputs never change after creation; only status (and the CUPID, once the
    // customer is identified) moves.
    await db.query(`
      CREATE TABLE auth_contexts (
        id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        client_id             text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 128),
        channel               auth_channel NOT NULL DEFAULT 'WEB',
        cupid                 text CHECK (length(cupid) BETWEEN 1 AND 64),
        status                auth_context_status NOT NULL DEFAULT 'PENDING',
        ip_address            inet,
        user_agent            text,
        device_id             text,
        device_data           jsonb NOT NULL DEFAULT '{}',
        requested_scopes      text[] NOT NULL DEFAULT '{}',
        redirect_uri          text,
        state                 text,
        code_challenge        text,
        code_challenge_method text CHECK (code_challenge_method = 'S256'),
        nonce                 text,
        failure_reason        text,
        created_at            timestamptz NOT NULL DEFAULT now(),
        updated_at            timestamptz NOT NULL DEFAULT now(),
        expires_at            timestamptz NOT NULL,
        completed_at          timestamptz,
        CHECK (expires_at > created_at),
        CHECK ((code_challenge IS NULL) = (code_challenge_method IS NULL)),
        CHECK (status <> 'COMPLETED' OR (cupid IS NOT NULL AND completed_at IS NOT NULL))
      );
      CREATE INDEX idx_auth_contexts_pending_expiry ON auth_contexts (expires_at) WHERE status = 'PENDING';
      CREATE INDEX idx_auth_contexts_created ON auth_contexts (created_at);
      CREATE INDEX idx_auth_contexts_cupid ON auth_contexts (cupid, created_at DESC) WHERE cupid IS NOT NULL;
    `);

    // One step of a journey, carried by a single-use transaction token (stored as its SHA-256 only).
    await db.query(`
      CREATE TABLE auth_transactions (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        context_id     uuid NOT NULL REFERENCES auth_contexts (id) ON DELETE CASCADE,
        step           auth_step_kind NOT NULL,
        token_hash     bytea NOT NULL CHECK (octet_length(token_hash) = 32),
        status         auth_transaction_status NOT NULL DEFAULT 'PENDING',
        otp_hash       bytea,
        attempts       integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        max_attempts   integer NOT NULL DEFAULT 5 CHECK (max_attempts > 0),
        challenge      jsonb NOT NULL DEFAULT '{}',
        created_at     timestamptz NOT NULL DEFAULT now(),
        expires_at     timestamptz NOT NULL,
        consumed_at    timestamptz,
        CHECK (expires_at > created_at),
        CHECK (attempts <= max_attempts),
        CHECK ((status = 'CONSUMED') = (consumed_at IS NOT NULL))
      );
      CREATE UNIQUE INDEX idx_auth_tx_token_hash ON auth_transactions (token_hash);
      CREATE INDEX idx_auth_tx_context_pending ON auth_transactions (context_id, created_at) WHERE status = 'PENDING';
      CREATE INDEX idx_auth_tx_context ON auth_transactions (context_id);
      CREATE INDEX idx_auth_tx_pending_expiry ON auth_transactions (expires_at) WHERE status = 'PENDING';
    `);

    await db.query(`
      CREATE TABLE drs_evaluations (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        context_id      uuid REFERENCES auth_contexts (id) ON DELETE CASCADE,
        cupid           text CHECK (length(cupid) BETWEEN 1 AND 64),
        recommendation  drs_recommendation NOT NULL,
        score           integer CHECK (score BETWEEN 0 AND 1000),
        reasons         text[] NOT NULL DEFAULT '{}',
        provider        text NOT NULL,
        raw_response    jsonb,
        latency_ms      integer NOT NULL DEFAULT 0 CHECK (latency_ms >= 0),
        created_at      timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX idx_drs_context ON drs_evaluations (context_id);
      CREATE INDEX idx_drs_cupid_time ON drs_evaluations (cupid, created_at DESC) WHERE cupid IS NOT NULL;
      CREATE INDEX idx_drs_created ON drs_evaluations (created_at);
    `);

    await db.query(`
      CREATE TABLE trusted_devices (
        id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        cupid             text NOT NULL CHECK (length(cupid) BETWEEN 1 AND 64),
        public_key_jwk    jsonb NOT NULL,
        jwk_thumbprint    text NOT NULL,
        name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
        platform          text,
        push_address      text,
        status            trusted_device_status NOT NULL DEFAULT 'ACTIVE',
        bound_context_id  uuid REFERENCES auth_contexts (id) ON DELETE SET NULL,
        created_at        timestamptz NOT NULL DEFAULT now(),
        last_used_at      timestamptz,
        revoked_at        timestamptz,
        revoked_by        text,
        revoke_reason     text,
        CHECK ((status = 'REVOKED') = (revoked_at IS NOT NULL))
      );
      CREATE UNIQUE INDEX idx_trusted_devices_thumbprint ON trusted_devices (jwk_thumbprint);
      CREATE INDEX idx_trusted_devices_cupid ON trusted_devices (cupid, created_at DESC);
    `);

    await db.query(`
      CREATE TABLE sessions (
        id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        cupid                text NOT NULL CHECK (length(cupid) BETWEEN 1 AND 64),
        client_id            text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 128),
        context_id           uuid REFERENCES auth_contexts (id) ON DELETE SET NULL,
        trusted_device_id    uuid REFERENCES trusted_devices (id) ON DELETE SET NULL,
        amr                  text[] NOT NULL CHECK (cardinality(amr) > 0),
        acr                  text,
        ip_address           inet,
        user_agent           text,
        status               session_status NOT NULL DEFAULT 'ACTIVE',
        auth_time            timestamptz NOT NULL DEFAULT now(),
        created_at           timestamptz NOT NULL DEFAULT now(),
        last_used_at         timestamptz NOT NULL DEFAULT now(),
        idle_expires_at      timestamptz NOT NULL,
        absolute_expires_at  timestamptz NOT NULL,
        revoked_at           timestamptz,
        revoked_by           text,
        revoke_reason        text,
        CHECK (absolute_expires_at > created_at),
        CHECK (idle_expires_at <= absolute_expires_at),
        CHECK ((status = 'REVOKED') = (revoked_at IS NOT NULL))
      );
      CREATE INDEX idx_sessions_cupid ON sessions (cupid, created_at DESC);
      CREATE INDEX idx_sessions_active_expiry ON sessions (idle_expires_at) WHERE status = 'ACTIVE';
      CREATE INDEX idx_sessions_created ON sessions (created_at);
    `);

    // One row per issued ACCESS, REFRESH and ID token, found by the SHA-256 of its value (the hot path).
    // Refresh tokens form families: each rotation points at its parent.
    await db.query(`
      CREATE TABLE tokens (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        type           token_type NOT NULL,
        value_hash     bytea NOT NULL CHECK (octet_length(value_hash) = 32),
        jti            text,
        client_id      text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 128),
        cupid          text CHECK (length(cupid) BETWEEN 1 AND 64),
        session_id     uuid REFERENCES sessions (id) ON DELETE CASCADE,
        family_id      uuid,
        parent_id      uuid REFERENCES tokens (id) ON DELETE SET NULL,
        scope          text NOT NULL DEFAULT '',
        status         token_status NOT NULL DEFAULT 'ACTIVE',
        created_at     timestamptz NOT NULL DEFAULT now(),
        expires_at     timestamptz NOT NULL,
        rotated_at     timestamptz,
        revoked_at     timestamptz,
        revoke_reason  text,
        CHECK (expires_at > created_at),
        CHECK (type = 'REFRESH' OR (family_id IS NULL AND parent_id IS NULL)),
        CHECK (type <> 'REFRESH' OR (family_id IS NOT NULL AND session_id IS NOT NULL)),
        CHECK (status <> 'ROTATED' OR rotated_at IS NOT NULL),
        CHECK ((status = 'REVOKED') = (revoked_at IS NOT NULL))
      );
      CREATE UNIQUE INDEX idx_tokens_value_hash ON tokens (value_hash);
      CREATE INDEX idx_tokens_session ON tokens (session_id) WHERE session_id IS NOT NULL;
      CREATE INDEX idx_tokens_family ON tokens (family_id) WHERE family_id IS NOT NULL;
      CREATE INDEX idx_tokens_parent ON tokens (parent_id) WHERE parent_id IS NOT NULL;
      CREATE INDEX idx_tokens_active_expiry ON tokens (expires_at) WHERE status = 'ACTIVE';
    `);

    // Every security event. Range-partitioned by month on created_at (the primary key must hold the
    // partition key); a DEFAULT partition catches any write outside the monthly partitions, so writing
    // audit never fails, and create_audit_partition() moves such rows when their month is created.
    await db.query(`
      CREATE TABLE audit_logs (
        id           uuid NOT NULL DEFAULT gen_random_uuid(),
        -- clock_timestamp(), not now(): the events of one transaction keep the order they happened in.
        created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
        event_type   text NOT NULL CHECK (event_type ~ '^[a-z][a-z0-9_.]*$'),
        cupid        text CHECK (length(cupid) BETWEEN 1 AND 64),
        actor_type   audit_actor_type NOT NULL,
        actor_id     text,
        session_id   uuid,
        context_id   uuid,
        client_id    text,
        ip_address   inet,
        user_agent   text,
        outcome      audit_outcome NOT NULL,
        details      jsonb NOT NULL DEFAULT '{}',
        PRIMARY KEY (id, created_at)
      ) PARTITION BY RANGE (created_at);
      CREATE INDEX idx_audit_cupid_time ON audit_logs (cupid, created_at DESC);
      CREATE INDEX idx_audit_type_time ON audit_logs (event_type, created_at DESC);
      CREATE INDEX idx_audit_session ON audit_logs (session_id) WHERE session_id IS NOT NULL;
      CREATE TABLE audit_logs_default PARTITION OF audit_logs DEFAULT;
    `);

    await db.query(`
      CREATE FUNCTION create_audit_partition(month_start date) RETURNS text
      LANGUAGE plpgsql AS $$
      DECLARE
        from_ts timestamptz := date_trunc('month', month_start)::date;
        to_ts   timestamptz := (date_trunc('month', month_start) + interval '1 month')::date;
        part    text := format('audit_logs_%s', to_char(from_ts, 'YYYY_MM'));
      BEGIN
        IF to_regclass(part) IS NOT NULL THEN
          RETURN part;
        END IF;
        -- Serialise concurrent creators (several instances at start-up).
        PERFORM pg_advisory_xact_lock(hashtext('create_audit_partition'));
        IF to_regclass(part) IS NOT NULL THEN
          RETURN part;
        END IF;
        EXECUTE format('CREATE TABLE %I (LIKE audit_logs INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
        -- Rows that fell into the DEFAULT partition for this month move into their own partition.
        EXECUTE format(
          'WITH moved AS (DELETE FROM audit_logs_default WHERE created_at >= %L AND created_at < %L RETURNING *)
           INSERT INTO %I SELECT * FROM moved', from_ts, to_ts, part);
        EXECUTE format('ALTER TABLE audit_logs ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, from_ts, to_ts);
        RETURN part;
      END $$;

      -- Makes sure the current month and the next months_ahead exist; returns the partitions it created.
      CREATE FUNCTION ensure_audit_partitions(months_ahead integer DEFAULT 2) RETURNS SETOF text
      LANGUAGE plpgsql AS $$
      DECLARE
        i     integer;
        month date;
      BEGIN
        FOR i IN 0..months_ahead LOOP
          month := (date_trunc('month', now()) + make_interval(months => i))::date;
          IF to_regclass(format('audit_logs_%s', to_char(month, 'YYYY_MM'))) IS NULL THEN
            RETURN NEXT create_audit_partition(month);
          END IF;
        END LOOP;
      END $$;

      SELECT ensure_audit_partitions(2);
    `);

    await db.query(`
      CREATE VIEW v_active_sessions AS
        SELECT s.*
          FROM sessions s
         WHERE s.status = 'ACTIVE'
           AND s.idle_expires_at > now()
           AND s.absolute_expires_at > now();

      CREATE VIEW v_pending_transactions AS
        SELECT t.id, t.context_id, t.step, t.attempts, t.max_attempts, t.created_at, t.expires_at,
               c.client_id, c.cupid, c.channel
          FROM auth_transactions t
          JOIN auth_contexts c ON c.id = t.context_id
         WHERE t.status = 'PENDING'
           AND t.expires_at > now();
    `);

    // Cleanup functions: each works on at most batch_size rows per call (SKIP LOCKED, so concurrent
    // callers and live requests never wait on each other) and returns how many rows it changed.
    // as_of is "now" (the jobs pass their clock, so expiry is testable without waiting).
    await db.query(`
      CREATE FUNCTION cleanup_expired_transactions(batch_size integer DEFAULT 1000, as_of timestamptz DEFAULT now()) RETURNS integer
      LANGUAGE sql AS $$
        WITH due AS (
          SELECT id FROM auth_transactions
           WHERE status = 'PENDING' AND expires_at <= as_of
           ORDER BY expires_at LIMIT batch_size FOR UPDATE SKIP LOCKED
        ), changed AS (
          UPDATE auth_transactions t SET status = 'EXPIRED' FROM due WHERE t.id = due.id RETURNING 1
        )
        SELECT count(*)::integer FROM changed
      $$;

      CREATE FUNCTION cleanup_expired_contexts(batch_size integer DEFAULT 1000, as_of timestamptz DEFAULT now()) RETURNS integer
      LANGUAGE sql AS $$
        WITH due AS (
          SELECT id FROM auth_contexts
           WHERE status = 'PENDING' AND expires_at <= as_of
           ORDER BY expires_at LIMIT batch_size FOR UPDATE SKIP LOCKED
        ), changed AS (
          UPDATE auth_contexts c SET status = 'EXPIRED', updated_at = as_of FROM due WHERE c.id = due.id RETURNING 1
        )
        SELECT count(*)::integer FROM changed
      $$;

      CREATE FUNCTION cleanup_expired_sessions(batch_size integer DEFAULT 1000, as_of timestamptz DEFAULT now()) RETURNS integer
      LANGUAGE sql AS $$
        WITH due AS (
          SELECT id FROM sessions
           WHERE status = 'ACTIVE' AND (idle_expires_at <= as_of OR absolute_expires_at <= as_of)
           ORDER BY idle_expires_at LIMIT batch_size FOR UPDATE SKIP LOCKED
        ), changed AS (
          UPDATE sessions s SET status = 'EXPIRED' FROM due WHERE s.id = due.id RETURNING s.id
        ), tokens_expired AS (
          UPDATE tokens t SET status = 'EXPIRED' FROM changed
           WHERE t.session_id = changed.id AND t.status = 'ACTIVE' RETURNING 1
        )
        SELECT count(*)::integer FROM changed
      $$;

      CREATE FUNCTION cleanup_old_journeys(older_than interval DEFAULT interval '90 days',
                                           batch_size integer DEFAULT 1000, as_of timestamptz DEFAULT now()) RETURNS integer
      LANGUAGE sql AS $$
        WITH due AS (
          SELECT id FROM auth_contexts
           WHERE created_at < as_of - older_than AND status <> 'PENDING'
           ORDER BY created_at LIMIT batch_size FOR UPDATE SKIP LOCKED
        ), deleted AS (
          DELETE FROM auth_contexts c USING due WHERE c.id = due.id RETURNING 1
        )
        SELECT count(*)::integer FROM deleted
      $$;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION IF EXISTS cleanup_old_journeys(interval, integer, timestamptz);
      DROP FUNCTION IF EXISTS cleanup_expired_sessions(integer, timestamptz);
      DROP FUNCTION IF EXISTS cleanup_expired_contexts(integer, timestamptz);
      DROP FUNCTION IF EXISTS cleanup_expired_transactions(integer, timestamptz);
      DROP VIEW IF EXISTS v_pending_transactions;
      DROP VIEW IF EXISTS v_active_sessions;
      DROP FUNCTION IF EXISTS ensure_audit_partitions(integer);
      DROP FUNCTION IF EXISTS create_audit_partition(date);
      DROP TABLE IF EXISTS audit_logs CASCADE;
      DROP TABLE IF EXISTS tokens;
      DROP TABLE IF EXISTS sessions;
      DROP TABLE IF EXISTS trusted_devices;
      DROP TABLE IF EXISTS drs_evaluations;
      DROP TABLE IF EXISTS auth_transactions;
      DROP TABLE IF EXISTS auth_contexts;
      DROP TYPE IF EXISTS audit_outcome;
      DROP TYPE IF EXISTS audit_actor_type;
      DROP TYPE IF EXISTS trusted_device_status;
      DROP TYPE IF EXISTS token_status;
      DROP TYPE IF EXISTS token_type;
      DROP TYPE IF EXISTS session_status;
      DROP TYPE IF EXISTS drs_recommendation;
      DROP TYPE IF EXISTS auth_transaction_status;
      DROP TYPE IF EXISTS auth_step_kind;
      DROP TYPE IF EXISTS auth_channel;
      DROP TYPE IF EXISTS auth_context_status;
    `);
  }
}
