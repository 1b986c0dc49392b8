import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 16 item 3: pairwise pseudonymous subjects (OpenID Connect Core §8.1) with versioned algorithms.
 * - pseudonym_versions: how pseudonyms are derived; a version's key is HKDF(KEK, info 'pseudonym:' + key_ref), so a
 *   new version needs no new secret material. Exactly one version is current and at most one previous (partial
 *   unique indexes): new pseudonyms use the current one; the previous one stays resolvable while mappings migrate.
 * - subject_pseudonyms: the mapping (sector, CUPID) → pseudonym, the only way back from a pseudonym to the customer
 *   (an HMAC is not reversible). During a migration a row keeps the pseudonym it had (previous_*), so relying
 *   parties' stored subs still resolve (id_token_hint, agents' reverse lookup), and a rollback restores it.
 *   Reverse lookups are by equality only: hash indexes (smaller than btree for 43-character random strings).
 * - tokens.subject: the sub a pairwise client's tokens carry, stored with the rows so userinfo, introspection and
 *   refresh read it with the token (no second read); null for public-subject clients (the CUPID).
 * Version 1 is seeded as current.
 */
export class PairwiseHelperPseudonyms1796095300000 implements MigrationInterface {
  name = 'PairwiseHelperPseudonyms1796095300000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE pseudonym_versions (
        version integer PRIMARY KEY CHECK (version > 0),
        algorithm text NOT NULL CHECK (algorithm IN ('hmac-sha256')),
        key_ref text NOT NULL UNIQUE CHECK (key_ref ~ '^[A-Za-z0-9._:-]{1,64}$'),
        state text NOT NULL CHECK (state IN ('current', 'previous', 'retired')),
        created_at timestamptz NOT NULL DEFAULT now(),
        state_changed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(
      `CREATE UNIQUE INDEX uq_pseudonym_versions_current ON pseudonym_versions ((true)) WHERE state = 'current'`,
    );
    await db.query(
      `CREATE UNIQUE INDEX uq_pseudonym_versions_previous ON pseudonym_versions ((true)) WHERE state = 'previous'`,
    );
    await db.query(
      `INSERT INTO pseudonym_versions (version, algorithm, key_ref, state) VALUES (1, 'hmac-sha256', 'v1', 'current')`,
    );
    await db.query(`
      CREATE TABLE subject_pseudonyms (
        sector_identifier text NOT NULL,
        cupid text NOT NULL,
        version integer NOT NULL REFERENCES pseudonym_versions (version),
        pseudonym text NOT NULL,
        previous_version integer REFERENCES pseudonym_versions (version),
        previous_pseudonym text,
        created_at timestamptz NOT NULL DEFAULT now(),
        migrated_at timestamptz,
        PRIMARY KEY (sector_identifier, cupid),
        CHECK ((previous_version IS NULL) = (previous_pseudonym IS NULL))
      )`);
    await db.query(`CREATE INDEX idx_subject_pseudonyms_pseudonym ON subject_pseudonyms USING hash (pseudonym)`);
    await db.query(
      `CREATE INDEX idx_subject_pseudonyms_previous ON subject_pseudonyms USING hash (previous_pseudonym) WHERE previous_pseudonym IS NOT NULL`,
    );
    // The migration's batches find the rows of one version.
    await db.query(`CREATE INDEX idx_subject_pseudonyms_version ON subject_pseudonyms (version)`);
    await db.query(`ALTER TABLE tokens ADD COLUMN subject text`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE tokens DROP COLUMN subject`);
    await db.query(`DROP TABLE subject_pseudonyms`);
    await db.query(`DROP TABLE pseudonym_versions`);
  }
}
