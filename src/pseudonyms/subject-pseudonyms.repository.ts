import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { poolStatement, rowsOf } from '../database/sql';

/** A pseudonym computed for one version, offered to `findOrInsert`. */
export interface PseudonymCandidate {
  version: number;
  pseudonym: string;
}

/** A mapping row a migration batch re-issues. */
export interface MappingToMigrate {
  sectorIdentifier: string;
  cupid: string;
  version: number;
  pseudonym: string;
  previousVersion: number | null;
  previousPseudonym: string | null;
}

export interface MigratedMapping {
  sectorIdentifier: string;
  cupid: string;
  version: number;
  pseudonym: string;
}

/**
 * Owns subject_pseudonyms: the mapping (sector, CUPID) → pseudonym, the only way from a pseudonym back to the
 * customer. It reads pseudonym_versions (which version is current) in its statements; it never writes it.
 */
@Injectable()
export class SubjectPseudonymsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The live pseudonym of (sector, CUPID) in ONE statement: the existing row (whatever its version: existing
   * pseudonyms keep theirs), else the candidate of the current version inserted. Empty when none of the
   * candidates is of the current version (the caller's list of versions is stale) or a concurrent insert won
   * (the caller reads again).
   */
  async findOrInsert(
    sector: string,
    cupid: string,
    candidates: PseudonymCandidate[],
    manager?: EntityManager,
  ): Promise<PseudonymCandidate | null> {
    const text = `WITH existing AS (
        SELECT version, pseudonym FROM subject_pseudonyms WHERE sector_identifier = $1 AND cupid = $2),
      candidate AS (
        SELECT c.version, c.pseudonym FROM unnest($3::int[], $4::text[]) AS c(version, pseudonym)
          JOIN pseudonym_versions v ON v.version = c.version AND v.state = 'current'),
      inserted AS (
        INSERT INTO subject_pseudonyms (sector_identifier, cupid, version, pseudonym)
        SELECT $1, $2, version, pseudonym FROM candidate WHERE NOT EXISTS (SELECT 1 FROM existing)
        ON CONFLICT (sector_identifier, cupid) DO NOTHING
        RETURNING version, pseudonym)
      SELECT version, pseudonym FROM existing UNION ALL SELECT version, pseudonym FROM inserted`;
    const values = [sector, cupid, candidates.map((c) => c.version), candidates.map((c) => c.pseudonym)];
    const rows = manager
      ? await rowsOf<PseudonymCandidate>(manager, text, values)
      : await poolStatement<PseudonymCandidate>(this.dataSource, { name: 'pseudonyms.find-or-insert', text, values });
    return rows[0] ?? null;
  }

  /**
   * The customer a pseudonym of `sector` names: its live pseudonym, or the one it had before a migration while
   * that version is not retired (relying parties keep the subs they saw). Hash indexes on both columns.
   */
  async resolve(sector: string, pseudonym: string): Promise<{ cupid: string; version: number } | null> {
    const rows = await poolStatement<{ cupid: string; version: number }>(this.dataSource, {
      name: 'pseudonyms.resolve',
      text: `SELECT p.cupid, p.version FROM subject_pseudonyms p
              WHERE p.sector_identifier = $1 AND p.pseudonym = $2
             UNION ALL
             SELECT p.cupid, p.previous_version FROM subject_pseudonyms p
               JOIN pseudonym_versions v ON v.version = p.previous_version AND v.state <> 'retired'
              WHERE p.sector_identifier = $1 AND p.previous_pseudonym = $2
             LIMIT 1`,
      values: [sector, pseudonym],
    });
    return rows[0] ?? null;
  }

  /** Up to `limit` rows still on `version`, row-locked; rows another instance holds are skipped. */
  async claimBatch(manager: EntityManager, version: number, limit: number): Promise<MappingToMigrate[]> {
    const rows = await rowsOf<{
      sector_identifier: string;
      cupid: string;
      version: number;
      pseudonym: string;
      previous_version: number | null;
      previous_pseudonym: string | null;
    }>(
      manager,
      `SELECT sector_identifier, cupid, version, pseudonym, previous_version, previous_pseudonym
         FROM subject_pseudonyms WHERE version = $1
        ORDER BY sector_identifier, cupid LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [version, limit],
    );
    return rows.map((row) => ({
      sectorIdentifier: row.sector_identifier,
      cupid: row.cupid,
      version: row.version,
      pseudonym: row.pseudonym,
      previousVersion: row.previous_version,
      previousPseudonym: row.previous_pseudonym,
    }));
  }

  /** Moves claimed rows to their new version and pseudonym; the pseudonym they had becomes their previous one. */
  async applyBatch(manager: EntityManager, rows: MigratedMapping[]): Promise<number> {
    if (rows.length === 0) return 0;
    const updated = await rowsOf<{ cupid: string }>(
      manager,
      `UPDATE subject_pseudonyms p
          SET previous_version = p.version, previous_pseudonym = p.pseudonym,
              version = n.version, pseudonym = n.pseudonym, migrated_at = now()
         FROM unnest($1::text[], $2::text[], $3::int[], $4::text[]) AS n(sector_identifier, cupid, version, pseudonym)
        WHERE p.sector_identifier = n.sector_identifier AND p.cupid = n.cupid
       RETURNING p.cupid`,
      [
        rows.map((row) => row.sectorIdentifier),
        rows.map((row) => row.cupid),
        rows.map((row) => row.version),
        rows.map((row) => row.pseudonym),
      ],
    );
    return updated.length;
  }

  /** How many mappings each version has live (status, and whether a migration is finished). */
  async countsByVersion(manager: EntityManager = this.dataSource.manager): Promise<Map<number, number>> {
    const rows = await rowsOf<{ version: number; n: number }>(
      manager,
      'SELECT version, count(*)::int AS n FROM subject_pseudonyms GROUP BY version',
    );
    return new Map(rows.map((row) => [row.version, row.n]));
  }

  async countOfVersion(manager: EntityManager, version: number): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(
      manager,
      'SELECT count(*)::int AS n FROM subject_pseudonyms WHERE version = $1',
      [version],
    );
    return row.n;
  }
}
