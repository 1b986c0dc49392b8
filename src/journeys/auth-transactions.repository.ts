import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { rowsOf } from '../database/sql';
import { AuthStepKind, AuthTransaction } from './auth-transaction.entity';

export interface ClaimedTransaction {
  id: string;
  step: AuthStepKind;
  challenge: Record<string, unknown>;
  otpHash: Buffer | null;
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
   * The pending transaction a token carries, row-locked until the request's transaction ends. Concurrent
   * requests with one token queue on the lock; when the first has consumed it, the others find no
   * pending row (PostgreSQL re-checks the WHERE on the new row version) and are refused.
   * A transaction that offers a choice (`challenge.choices`) can be claimed by any step it names.
   */
  async claim(manager: EntityManager, tokenHash: Buffer, contextId: string, step: AuthStepKind, now: Date): Promise<ClaimedTransaction | null> {
    const [row] = await rowsOf<{ id: string; step: AuthStepKind; challenge: Record<string, unknown>; otp_hash: Buffer | null; attempts: number; max_attempts: number; created_at: Date; expires_at: Date }>(
      manager,
      `SELECT id, step, challenge, otp_hash, attempts, max_attempts, created_at, expires_at FROM auth_transactions
        WHERE token_hash = $1 AND context_id = $2 AND (step = $3 OR challenge->'choices' ? $3::text)
          AND status = 'PENDING' AND expires_at > $4
        FOR UPDATE`,
      [tokenHash, contextId, step, now],
    );
    return row
      ? { id: row.id, step: row.step, challenge: row.challenge, otpHash: row.otp_hash, attempts: row.attempts, maxAttempts: row.max_attempts, createdAt: row.created_at, expiresAt: row.expires_at }
      : null;
  }

  /** Spends a claimed transaction (STYLE.md, habit 15: a conditional UPDATE). */
  async consume(manager: EntityManager, id: string, now: Date, result: Record<string, unknown> | null = null): Promise<void> {
    await manager.query(
      `UPDATE auth_transactions SET status = 'CONSUMED', consumed_at = $2, result = $3 WHERE id = $1 AND status = 'PENDING'`,
      [id, now, result === null ? null : JSON.stringify(result)],
    );
  }

  /** One more failed attempt on the same transaction; returns the count. */
  async countAttempt(manager: EntityManager, id: string): Promise<number> {
    const [row] = await rowsOf<{ attempts: number }>(manager, `UPDATE auth_transactions SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts`, [id]);
    return row.attempts;
  }

  async markFailed(manager: EntityManager, id: string): Promise<void> {
    await manager.query(`UPDATE auth_transactions SET status = 'FAILED' WHERE id = $1 AND status = 'PENDING'`, [id]);
  }

  /** Why a token could not be consumed, for the audit trail (the client always sees one shape). */
  async findByTokenHash(manager: EntityManager, tokenHash: Buffer): Promise<Pick<AuthTransaction, 'contextId' | 'step' | 'status' | 'expiresAt'> | null> {
    return manager.getRepository(AuthTransaction).findOne({
      where: { tokenHash },
      select: { contextId: true, step: true, status: true, expiresAt: true },
    });
  }

  /** What the journey's passed steps established, oldest first. */
  async passedSteps(manager: EntityManager, contextId: string): Promise<Array<{ step: AuthStepKind; result: Record<string, unknown> }>> {
    return rowsOf(
      manager,
      // The step that passed is in the result: a transaction offering a choice names only its first option.
      `SELECT COALESCE(result->>'step', step::text) AS step, result FROM auth_transactions
        WHERE context_id = $1 AND status = 'CONSUMED' AND result IS NOT NULL ORDER BY consumed_at`,
      [contextId],
    );
  }

  /** Voids the journey's pending transactions: only the newest token is ever valid. */
  async voidPending(manager: EntityManager, contextId: string): Promise<void> {
    await manager.query(`UPDATE auth_transactions SET status = 'EXPIRED' WHERE context_id = $1 AND status = 'PENDING'`, [contextId]);
  }
}
