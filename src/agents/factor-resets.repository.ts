import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '../database/sql';

export interface FactorResetRow {
  id: string;
  cupid: string;
  reason: string;
  requested_by: string;
  requested_at: Date;
  expires_at: Date;
  status: 'PENDING' | 'APPLIED';
  approved_by: string | null;
  applied_at: Date | null;
}

const COLUMNS = 'id, cupid, reason, requested_by, requested_at, expires_at, status, approved_by, applied_at';

/** Owns factor_resets: an agent's reset of a customer's second factors, pending a second agent or applied. */
@Injectable()
export class FactorResetsRepository {
  async insert(
    manager: EntityManager,
    reset: { cupid: string; reason: string; requestedBy: string; at: Date; expiresAt: Date; applied: boolean },
  ): Promise<FactorResetRow> {
    const [row] = await rowsOf<FactorResetRow>(
      manager,
      `INSERT INTO factor_resets (cupid, reason, requested_by, requested_at, expires_at, status, applied_at)
       VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $6 = 'APPLIED' THEN $4::timestamptz END)
       RETURNING ${COLUMNS}`,
      [reset.cupid, reset.reason, reset.requestedBy, reset.at, reset.expiresAt, reset.applied ? 'APPLIED' : 'PENDING'],
    );
    return row;
  }

  /**
   * Approves a pending, unexpired reset of this customer by an agent other than its requester, in one
   * conditional UPDATE: of two concurrent approvals exactly one gets the row; null for everything else.
   */
  async approve(
    manager: EntityManager,
    cupid: string,
    id: string,
    approver: string,
    at: Date,
  ): Promise<FactorResetRow | null> {
    const [row] = await rowsOf<FactorResetRow>(
      manager,
      `UPDATE factor_resets SET status = 'APPLIED', approved_by = $3, applied_at = $4
        WHERE id = $1 AND cupid = $2 AND status = 'PENDING' AND expires_at > $4 AND requested_by <> $3
        RETURNING ${COLUMNS}`,
      [id, cupid, approver, at],
    );
    return row ?? null;
  }

  /** The purge job: resets applied, or pending and expired, requested before `before` (their audit events stay). */
  async deleteFinishedBatch(manager: EntityManager, batch: number, before: Date): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(
      manager,
      `WITH due AS (SELECT id FROM factor_resets WHERE (status = 'APPLIED' OR expires_at < $2) AND requested_at < $2 LIMIT $1 FOR UPDATE SKIP LOCKED),
            gone AS (DELETE FROM factor_resets x USING due WHERE x.id = due.id RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [batch, before],
    );
    return row.n;
  }
}
