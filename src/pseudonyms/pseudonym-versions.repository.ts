import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { rowsOf } from '../database/sql';

export type PseudonymVersionState = 'current' | 'previous' | 'retired';

export interface PseudonymVersion {
  version: number;
  algorithm: 'hmac-sha256';
  keyRef: string;
  state: PseudonymVersionState;
  createdAt: Date;
}

interface VersionRow {
  version: number;
  algorithm: 'hmac-sha256';
  key_ref: string;
  state: PseudonymVersionState;
  created_at: Date;
}

const toVersion = (row: VersionRow): PseudonymVersion => ({
  version: row.version,
  algorithm: row.algorithm,
  keyRef: row.key_ref,
  state: row.state,
  createdAt: row.created_at,
});

/**
 * Owns pseudonym_versions. A change of versions (add, rollback) holds the pseudonyms advisory lock exclusively,
 * a migration batch holds it shared: operators' commands on many instances never interleave a version change
 * with a batch, while batches run side by side (their rows are claimed with SKIP LOCKED).
 */
@Injectable()
export class PseudonymVersionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async list(manager: EntityManager = this.dataSource.manager): Promise<PseudonymVersion[]> {
    const rows = await rowsOf<VersionRow>(
      manager,
      'SELECT version, algorithm, key_ref, state, created_at FROM pseudonym_versions ORDER BY version',
    );
    return rows.map(toVersion);
  }

  /** Transaction-scoped advisory lock on the pseudonym versions (exclusive: a version change; shared: a batch). */
  async lock(manager: EntityManager, mode: 'exclusive' | 'shared'): Promise<void> {
    const fn = mode === 'exclusive' ? 'pg_advisory_xact_lock' : 'pg_advisory_xact_lock_shared';
    await manager.query(`SELECT ${fn}(hashtext('ciam:pseudonym-versions'))`);
  }

  /** Current → previous, previous → retired, and a new current version with `keyRef`; its number. */
  async addCurrent(manager: EntityManager, keyRef: string): Promise<number> {
    // Three statements, not one: the partial unique indexes are checked row by row, so no instant may have two.
    await manager.query(
      `UPDATE pseudonym_versions SET state = 'retired', state_changed_at = now() WHERE state = 'previous'`,
    );
    await manager.query(
      `UPDATE pseudonym_versions SET state = 'previous', state_changed_at = now() WHERE state = 'current'`,
    );
    const [row] = await rowsOf<{ version: number }>(
      manager,
      `INSERT INTO pseudonym_versions (version, algorithm, key_ref, state)
       SELECT coalesce(max(version), 0) + 1, 'hmac-sha256', $1, 'current' FROM pseudonym_versions
       RETURNING version`,
      [keyRef],
    );
    return row.version;
  }

  /** The previous version becomes current and the current one previous; false when there is no previous. */
  async swapCurrentAndPrevious(manager: EntityManager): Promise<{ current: number; previous: number } | null> {
    const [old] = await rowsOf<{ version: number }>(
      manager,
      `UPDATE pseudonym_versions SET state = 'retired', state_changed_at = now()
        WHERE state = 'current' AND EXISTS (SELECT 1 FROM pseudonym_versions WHERE state = 'previous')
       RETURNING version`,
    );
    if (!old) return null;
    const [restored] = await rowsOf<{ version: number }>(
      manager,
      `UPDATE pseudonym_versions SET state = 'current', state_changed_at = now() WHERE state = 'previous' RETURNING version`,
    );
    await manager.query(
      `UPDATE pseudonym_versions SET state = 'previous', state_changed_at = now() WHERE version = $1`,
      [old.version],
    );
    return { current: restored.version, previous: old.version };
  }
}
