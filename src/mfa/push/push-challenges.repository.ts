import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '../../database/sql';
import type { PushChallenge, PushChallengeStatus } from './push-challenge';

type Row = {
  id: string;
  context_id: string | null;
  cupid: string;
  device_ids: string[];
  number: number;
  status: PushChallengeStatus;
  reason: string | null;
  created_at: Date;
  expires_at: Date;
  answered_at: Date | null;
  answered_by_device_id: string | null;
  answered_by_thumbprint: string | null;
  transaction_hash: string | null;
};

const COLUMNS = `id, context_id, cupid, device_ids, number, status, reason, created_at, expires_at, answered_at,
  answered_by_device_id, answered_by_thumbprint, transaction_hash`;

const toChallenge = (row: Row): PushChallenge => ({
  id: row.id,
  contextId: row.context_id,
  cupid: row.cupid,
  deviceIds: row.device_ids,
  number: row.number,
  status: row.status,
  reason: row.reason,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  answeredAt: row.answered_at,
  answeredByDeviceId: row.answered_by_device_id,
  answeredByThumbprint: row.answered_by_thumbprint,
  transactionHash: row.transaction_hash,
});

/** Owns push_challenges: the push factor's challenges and the devices' answers. */
@Injectable()
export class PushChallengesRepository {
  async insert(
    manager: EntityManager,
    challenge: Pick<PushChallenge, 'id' | 'contextId' | 'cupid' | 'deviceIds' | 'number' | 'createdAt' | 'expiresAt'> &
      Partial<Pick<PushChallenge, 'transactionHash'>>,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO push_challenges (id, context_id, cupid, device_ids, number, created_at, expires_at, transaction_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        challenge.id,
        challenge.contextId,
        challenge.cupid,
        challenge.deviceIds,
        challenge.number,
        challenge.createdAt,
        challenge.expiresAt,
        challenge.transactionHash ?? null,
      ],
    );
  }

  async findById(manager: EntityManager, id: string): Promise<PushChallenge | null> {
    const [row] = await rowsOf<Row>(manager, `SELECT ${COLUMNS} FROM push_challenges WHERE id = $1`, [id]);
    return row ? toChallenge(row) : null;
  }

  /** Row-locks a challenge for the rest of the transaction: two answers to one challenge queue here. */
  async lockById(manager: EntityManager, id: string): Promise<PushChallenge | null> {
    const [row] = await rowsOf<Row>(manager, `SELECT ${COLUMNS} FROM push_challenges WHERE id = $1 FOR UPDATE`, [id]);
    return row ? toChallenge(row) : null;
  }

  /** The journey's challenge still waiting for its device at `now` (at most one: a new push needs the last one expired). */
  async findWaitingForJourney(
    manager: EntityManager,
    contextId: string,
    now: Date,
  ): Promise<Pick<PushChallenge, 'id' | 'expiresAt'> | null> {
    const [row] = await rowsOf<Pick<Row, 'id' | 'expires_at'>>(
      manager,
      `SELECT id, expires_at FROM push_challenges
        WHERE context_id = $1 AND status = 'PENDING' AND expires_at > $2 ORDER BY created_at DESC LIMIT 1`,
      [contextId, now],
    );
    return row ? { id: row.id, expiresAt: row.expires_at } : null;
  }

  /**
   * The device's answer, once (docs/architecture.md, rule 5: one conditional UPDATE); false when the
   * challenge was no longer pending.
   */
  async recordAnswer(
    manager: EntityManager,
    id: string,
    answer: {
      status: Extract<PushChallengeStatus, 'APPROVED' | 'DENIED' | 'REJECTED'>;
      reason: string | null;
      at: Date;
      deviceId: string | null;
      thumbprint: string | null;
    },
  ): Promise<boolean> {
    const rows = await rowsOf<{ id: string }>(
      manager,
      `UPDATE push_challenges
          SET status = $2, reason = $3, answered_at = $4, answered_by_device_id = $5, answered_by_thumbprint = $6
        WHERE id = $1 AND status = 'PENDING' AND expires_at > $4 RETURNING id`,
      [id, answer.status, answer.reason, answer.at, answer.deviceId, answer.thumbprint],
    );
    return rows.length === 1;
  }

  /** A pending challenge past its expiry is marked EXPIRED (only the status moves; nothing was answered). */
  async markExpired(manager: EntityManager, id: string, now: Date): Promise<void> {
    await manager.query(
      `UPDATE push_challenges SET status = 'EXPIRED' WHERE id = $1 AND status = 'PENDING' AND expires_at <= $2`,
      [id, now],
    );
  }

  /** One batch of challenges created before `before` (the data lifecycle: purge-journey-data). Returns the rows deleted. */
  async deleteCreatedBefore(manager: EntityManager, before: Date, batch: number): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(
      manager,
      `WITH due AS (SELECT id FROM push_challenges WHERE created_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED),
            gone AS (DELETE FROM push_challenges p USING due WHERE p.id = due.id RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [before, batch],
    );
    return row.n;
  }
}
