import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tamper evidence for audit_logs (helper "chain", issue 19 item 1; docs/architecture.md, "Tamper-evident audit").
 *
 * - `tx` (xid8, default pg_current_xact_id()): the writing transaction, so the background sequencer can chain
 *   rows in (tx, id) order once every transaction below its horizon has ended: a row that commits late can
 *   never land behind the chain head. No trigger and no extra work on the insert path: a column default.
 *   Rows that existed before this migration keep tx NULL and are chained first.
 * - `content_hash`, `chain_seq`, `chain_hash`: set once by the sequencer (SHA-256 over audit_canonical(row);
 *   chain_hash = SHA-256(previous chain_hash || content_hash)).
 * - A trigger refuses UPDATE (except that one setting of the chain columns from NULL), DELETE and TRUNCATE.
 *   Only the retention paths, inside a transaction that set `ciam.audit_maintenance`, may delete (moving rows
 *   out of the DEFAULT partition, deleting expired DEFAULT rows); dropping a whole old partition is DDL.
 * - audit_chain_state (the head and the horizon reached), audit_checkpoints (signed heads) and
 *   audit_chain_prunes (the signed record of what a retention run removed, with the links verification needs
 *   to step over the hole).
 */
export class ChainAuditTamperEvidence1796080082380 implements MigrationInterface {
  name = 'ChainAuditTamperEvidence1796080082380';

  async up(db: QueryRunner): Promise<void> {
    // Nullable then a default: no rewrite of existing partitions (a volatile default on ADD COLUMN would).
    await db.query(`
      ALTER TABLE audit_logs ADD COLUMN tx xid8;
      ALTER TABLE audit_logs ALTER COLUMN tx SET DEFAULT pg_current_xact_id();
      ALTER TABLE audit_logs ADD COLUMN content_hash bytea;
      ALTER TABLE audit_logs ADD COLUMN chain_seq bigint;
      ALTER TABLE audit_logs ADD COLUMN chain_hash bytea;
      CREATE INDEX idx_audit_unchained ON audit_logs (tx NULLS FIRST, id) WHERE chain_seq IS NULL;
      CREATE INDEX idx_audit_chain_seq ON audit_logs (chain_seq) WHERE chain_seq IS NOT NULL;
    `);

    // The canonical serialisation hashed into content_hash: a jsonb array (deterministic text, NULLs and
    // escaping handled), the instant as integer microseconds (no TimeZone/DateStyle dependence), a version
    // first so a later column set can be hashed differently without breaking old links.
    await db.query(`
      CREATE FUNCTION audit_canonical(a audit_logs) RETURNS text
      LANGUAGE sql STABLE AS $$
        SELECT jsonb_build_array(1, a.id, (extract(epoch FROM a.created_at) * 1000000)::bigint::text, a.event_type,
          a.outcome, a.actor_type, a.actor_id, a.cupid, a.session_id, a.context_id, a.client_id, a.ip_address::text,
          a.user_agent, a.details, a.tx::text)::text
      $$;

      CREATE FUNCTION audit_logs_append_only() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' THEN
          -- The sequencer's one write: the chain columns, from NULL, and nothing else.
          IF OLD.chain_seq IS NULL AND OLD.chain_hash IS NULL AND OLD.content_hash IS NULL
             AND NEW.chain_seq IS NOT NULL AND NEW.chain_hash IS NOT NULL AND NEW.content_hash IS NOT NULL
             -- Every other column unchanged (a row comparison: a tenth of the cost of comparing jsonb copies
             -- of the rows). A column added to audit_logs later must be added here and to audit_canonical().
             AND (NEW.id, NEW.created_at, NEW.event_type, NEW.cupid, NEW.actor_type, NEW.actor_id, NEW.session_id,
                  NEW.context_id, NEW.client_id, NEW.ip_address, NEW.user_agent, NEW.outcome, NEW.details, NEW.tx)
                 IS NOT DISTINCT FROM
                 (OLD.id, OLD.created_at, OLD.event_type, OLD.cupid, OLD.actor_type, OLD.actor_id, OLD.session_id,
                  OLD.context_id, OLD.client_id, OLD.ip_address, OLD.user_agent, OLD.outcome, OLD.details, OLD.tx) THEN
            RETURN NEW;
          END IF;
          RAISE EXCEPTION 'audit_logs is append-only: rows cannot be changed' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF TG_OP = 'DELETE' AND current_setting('ciam.audit_maintenance', true) = 'on' THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_logs is append-only: rows leave only by the retention job' USING ERRCODE = 'insufficient_privilege';
      END $$;

      CREATE TRIGGER audit_logs_append_only BEFORE UPDATE OR DELETE ON audit_logs
        FOR EACH ROW EXECUTE FUNCTION audit_logs_append_only();
      CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
        FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_append_only();
      CREATE TRIGGER audit_logs_default_no_truncate BEFORE TRUNCATE ON audit_logs_default
        FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_append_only();
    `);

    // Moving the DEFAULT partition's rows into their new month is a retention-class move (rows keep every
    // column, chain included): the function opens the maintenance flag for its DELETE only.
    await db.query(`
      CREATE OR REPLACE FUNCTION create_audit_partition(month_start date) RETURNS text
      LANGUAGE plpgsql AS $$
      DECLARE
        from_ts timestamptz := date_trunc('month', month_start)::date;
        to_ts   timestamptz := (date_trunc('month', month_start) + interval '1 month')::date;
        part    text := format('audit_logs_%s', to_char(from_ts, 'YYYY_MM'));
        flag    text := current_setting('ciam.audit_maintenance', true);
      BEGIN
        IF to_regclass(part) IS NOT NULL THEN
          RETURN part;
        END IF;
        PERFORM pg_advisory_xact_lock(hashtext('create_audit_partition'));
        IF to_regclass(part) IS NOT NULL THEN
          RETURN part;
        END IF;
        EXECUTE format('CREATE TABLE %I (LIKE audit_logs INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
        PERFORM set_config('ciam.audit_maintenance', 'on', true);
        EXECUTE format(
          'WITH moved AS (DELETE FROM audit_logs_default WHERE created_at >= %L AND created_at < %L RETURNING *)
           INSERT INTO %I SELECT * FROM moved', from_ts, to_ts, part);
        PERFORM set_config('ciam.audit_maintenance', coalesce(flag, ''), true);
        EXECUTE format('ALTER TABLE audit_logs ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, from_ts, to_ts);
        RETURN part;
      END $$;
    `);

    await db.query(`
      CREATE TABLE audit_chain_state (
        id          smallint PRIMARY KEY CHECK (id = 1),
        head_seq    bigint NOT NULL DEFAULT 0,
        head_hash   bytea NOT NULL DEFAULT '\\x0000000000000000000000000000000000000000000000000000000000000000',
        horizon     xid8,
        updated_at  timestamptz NOT NULL DEFAULT now()
      );
      INSERT INTO audit_chain_state (id) VALUES (1);

      CREATE TABLE audit_checkpoints (
        seq         bigint PRIMARY KEY,
        chain_hash  bytea NOT NULL,
        jws         text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE audit_chain_prunes (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        partition   text NOT NULL,
        first_seq   bigint,
        last_seq    bigint,
        row_count   bigint NOT NULL,
        -- [{seq, hash}]: the chain_hash of each removed row whose successor survives (verification resumes there).
        anchors     jsonb NOT NULL DEFAULT '[]',
        jws         text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX idx_audit_chain_prunes_seq ON audit_chain_prunes (last_seq);
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TABLE IF EXISTS audit_chain_prunes;
      DROP TABLE IF EXISTS audit_checkpoints;
      DROP TABLE IF EXISTS audit_chain_state;
      DROP TRIGGER IF EXISTS audit_logs_default_no_truncate ON audit_logs_default;
      DROP TRIGGER IF EXISTS audit_logs_no_truncate ON audit_logs;
      DROP TRIGGER IF EXISTS audit_logs_append_only ON audit_logs;
      DROP FUNCTION IF EXISTS audit_logs_append_only();
      DROP FUNCTION IF EXISTS audit_canonical(audit_logs);
      DROP INDEX IF EXISTS idx_audit_chain_seq;
      DROP INDEX IF EXISTS idx_audit_unchained;
      ALTER TABLE audit_logs DROP COLUMN chain_hash, DROP COLUMN chain_seq, DROP COLUMN content_hash, DROP COLUMN tx;
    `);
  }
}
