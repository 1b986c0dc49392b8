import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { rowsOf } from '../database/sql';
import { AuthStepKind, AuthTransaction } from './auth-transaction.entity';

export interface ConsumedTransaction {
  id: string;
  step: AuthStepKind;
  challenge: Record<string, unknown>;
  attempts: number;
  maxAttempts: number;
  createdAt: Date;
  expiresAt: Date;
}

/** The only code that touches auth_transactions. */
@Injectable()
export class AuthTransactionsRepository {
  async insert(manager: EntityManager, transaction: Partial<AuthTransaction>): Promise<string> {
    const result = await manager.getRepository(AuthTransaction).insert(transaction as QueryDeepPartialEntity<AuthTransaction>);
    return result.identifiers[0].id as string;
  }

  /**
   * Single use: one conditional UPDATE (STYLE.md, habit 15). Zero rows back means the token is unknown,
   * spent, expired, of another journey or for another step; concurrent requests with one token queue on
   * the row lock and all but the first get zero rows.
   */
  async consume(manager: EntityManager, tokenHash: Buffer, contextId: string, step: AuthStepKind, now: Date): Promise<ConsumedTransaction | null> {
    const [row] = await rowsOf<{ id: string; step: AuthStepKind; challenge: Record<string, unknown>; attempts: number; max_attempts: number; created_at: Date; expires_at: Date }>(
      manager,
      `UPDATE auth_transactions SET status = 'CONSUMED', consumed_at = $4
        WHERE token_hash = $1 AND context_id = $2 AND step = $3 AND status = 'PENDING' AND expires_at > $4
        RETURNING id, step, challenge, attempts, max_attempts, created_at, expires_at`,
      [tokenHash, contextId, step, now],
    );
    return row
      ? { id: row.id, step: row.step, challenge: row.challenge, attempts: row.attempts, maxAttempts: row.max_attempts, createdAt: row.created_at, expiresAt: row.expires_at }
      : null;
  }

  /** Why a token could not be consumed, for the audit trail (the client always sees one shape). */
  async findByTokenHash(manager: EntityManager, tokenHash: Buffer): Promise<Pick<AuthTransaction, 'contextId' | 'step' | 'status' | 'expiresAt'> | null> {
    return manager.getRepository(AuthTransaction).findOne({
      where: { tokenHash },
      select: { contextId: true, step: true, status: true, expiresAt: true },
    });
  }

  /** The step the journey waits for (its one pending transaction), if any. */
  async findPendingStep(manager: EntityManager, contextId: string, now: Date): Promise<AuthStepKind | null> {
    const [row] = await rowsOf<{ step: AuthStepKind }>(
      manager,
      `SELECT step FROM auth_transactions WHERE context_id = $1 AND status = 'PENDING' AND expires_at > $2 ORDER BY created_at DESC LIMIT 1`,
      [contextId, now],
    );
    return row?.step ?? null;
  }

  async recordResult(manager: EntityManager, id: string, result: Record<string, unknown>): Promise<void> {
    await manager.query(`UPDATE auth_transactions SET result = $2 WHERE id = $1`, [id, JSON.stringify(result)]);
  }

  /** What the journey's passed steps established, oldest first. */
  async passedSteps(manager: EntityManager, contextId: string): Promise<Array<{ step: AuthStepKind; result: Record<string, unknown> }>> {
    return rowsOf(
      manager,
      `SELECT step, result FROM auth_transactions WHERE context_id = $1 AND status = 'CONSUMED' AND result IS NOT NULL ORDER BY consumed_at`,
      [contextId],
    );
  }

  /** How many times a step was tried and not passed in this journey. */
  async failedTries(manager: EntityManager, contextId: string, step: AuthStepKind): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(
      manager,
      `SELECT count(*)::int AS n FROM auth_transactions WHERE context_id = $1 AND step = $2 AND status = 'CONSUMED' AND result IS NULL`,
      [contextId, step],
    );
    return row.n;
  }

  /** Voids the journey's pending transactions: only the newest token is ever valid. */
  async voidPending(manager: EntityManager, contextId: string): Promise<void> {
    await manager.query(`UPDATE auth_transactions SET status = 'EXPIRED' WHERE context_id = $1 AND status = 'PENDING'`, [contextId]);
  }
}
