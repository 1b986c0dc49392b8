import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '../../database/sql';

/** Owns recovery_codes (migration 1796093200000). */
@Injectable()
export class RecoveryCodesRepository {
  /** A new batch: the live codes before it are revoked in the same transaction. */
  async replaceBatch(
    manager: EntityManager,
    batch: { cupid: string; batchId: string; hashes: Buffer[]; at: Date },
  ): Promise<number> {
    const revoked = await rowsOf<{ id: string }>(
      manager,
      `UPDATE recovery_codes SET revoked_at = $2 WHERE cupid = $1 AND used_at IS NULL AND revoked_at IS NULL RETURNING id`,
      [batch.cupid, batch.at],
    );
    await manager.query(
      `INSERT INTO recovery_codes (cupid, batch_id, code_hash, created_at)
       SELECT $1, $2, hash, $4 FROM unnest($3::bytea[]) AS hash`,
      [batch.cupid, batch.batchId, batch.hashes, batch.at],
    );
    return revoked.length;
  }

  /**
   * Uses the code with this hash once (a conditional UPDATE: of two requests with the same code, one wins).
   * The lookup is by HMAC, so the comparison's timing says nothing about the code itself.
   */
  async use(manager: EntityManager, cupid: string, codeHash: Buffer, at: Date): Promise<string | null> {
    const [row] = await rowsOf<{ id: string }>(
      manager,
      `UPDATE recovery_codes SET used_at = $3
        WHERE cupid = $1 AND code_hash = $2 AND used_at IS NULL AND revoked_at IS NULL RETURNING id`,
      [cupid, codeHash, at],
    );
    return row?.id ?? null;
  }

  async summary(
    manager: EntityManager,
    cupid: string,
  ): Promise<{ batchId: string; left: number; total: number; createdAt: Date; lastUsedAt: Date | null } | null> {
    const [row] = await rowsOf<{
      batchId: string;
      left: number;
      total: number;
      createdAt: Date;
      lastUsedAt: Date | null;
    }>(
      manager,
      `SELECT batch_id AS "batchId", count(*) FILTER (WHERE used_at IS NULL)::int AS left, count(*)::int AS total,
              min(created_at) AS "createdAt", max(used_at) AS "lastUsedAt"
         FROM recovery_codes WHERE cupid = $1 AND revoked_at IS NULL GROUP BY batch_id
       -- Used codes of an earlier batch stay (never revoked): only the batch with live codes counts.
       HAVING count(*) FILTER (WHERE used_at IS NULL) > 0 ORDER BY min(created_at) DESC LIMIT 1`,
      [cupid],
    );
    return row && row.left > 0 ? row : null;
  }

  async revokeAll(manager: EntityManager, cupid: string, at: Date): Promise<number> {
    const rows = await rowsOf<{ id: string }>(
      manager,
      `UPDATE recovery_codes SET revoked_at = $2 WHERE cupid = $1 AND used_at IS NULL AND revoked_at IS NULL RETURNING id`,
      [cupid, at],
    );
    return rows.length;
  }
}
