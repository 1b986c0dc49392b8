import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf, statementRows, takeDeferred, withDeferred } from '../database/sql';
import type { AuthContext } from './auth-context.entity';
import { contextColumnsAs, contextFromRow } from './auth-contexts.repository';
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
  /** What a send step prepared on an earlier try with this token, sealed under the token. */
  pendingSend: Buffer | null;
  /** What the journey's passed steps established, oldest first (as passedSteps), read by the claim itself. */
  passed: PassedStep[];
  /** The journey, row-locked by the claim's statement (one step of a journey runs at a time). */
  context: AuthContext | null;
}

export interface PassedStep {
  step: AuthStepKind;
  result: Record<string, unknown>;
}

/** What the engine needs to know about a token it could not claim: why (for the audit), or its stored answer. */
export type PresentedTransaction = Pick<
  AuthTransaction,
  'id' | 'contextId' | 'step' | 'status' | 'expiresAt' | 'claimedUntil' | 'responseSealed' | 'respondedAt'
>;

type ClaimedRow = {
  id: string;
  step: AuthStepKind;
  challenge: Record<string, unknown>;
  otp_hash: Buffer | null;
  attempts: number;
  max_attempts: number;
  created_at: Date;
  expires_at: Date;
  pending_send: Buffer | null;
  passed: PassedStep[];
};

/**
 * Owns auth_transactions and is its only writer; the jobs expire rows through `expireBatch` here. A push
 * step's transaction keeps only its challenge's id; the challenge is the push factor's (push_challenges).
 */
@Injectable()
export class AuthTransactionsRepository {
  /**
   * A new step (PENDING unless given); one plain INSERT with the id made here (no RETURNING to read back).
   * `with`: writes of other repositories that must commit with it (a new journey's row, its audit events),
   * each given the first free parameter number and run as a data-modifying CTE member of this statement.
   */
  async insert(
    manager: EntityManager,
    transaction: Partial<AuthTransaction> & Pick<AuthTransaction, 'contextId' | 'step' | 'tokenHash' | 'expiresAt'>,
    withWrites: Array<(firstParam: number) => { text: string; values: unknown[] } | null> = [],
  ): Promise<string> {
    const id = transaction.id ?? randomUUID();
    const values: unknown[] = [
      id,
      transaction.contextId,
      transaction.step,
      transaction.tokenHash,
      transaction.status ?? 'PENDING',
      transaction.otpHash ?? null,
      transaction.attempts ?? 0,
      transaction.maxAttempts ?? 5,
      JSON.stringify(transaction.challenge ?? {}),
      transaction.createdAt ?? null,
      transaction.expiresAt,
      transaction.consumedAt ?? null,
      transaction.result === undefined || transaction.result === null ? null : JSON.stringify(transaction.result),
      transaction.claimId ?? null,
      transaction.claimedUntil ?? null,
      transaction.pendingSend ?? null,
      transaction.responseSealed ?? null,
      transaction.respondedAt ?? null,
    ];
    const members: string[] = [];
    for (const write of [...takeDeferred(manager), ...withWrites]) {
      const fragment = write(values.length + 1);
      if (!fragment) continue;
      members.push(`w${members.length} AS (${fragment.text})`);
      values.push(...fragment.values);
    }
    await manager.query(
      `${members.length ? `WITH ${members.join(', ')} ` : ''}INSERT INTO auth_transactions (id, context_id, step, token_hash, status, otp_hash, attempts, max_attempts, challenge,
                                      created_at, expires_at, consumed_at, result, claim_id, claimed_until, pending_send,
                                      response_sealed, responded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, COALESCE($10, now()), $11, $12, $13, $14, $15, $16, $17, $18)`,
      values,
    );
    return id;
  }

  /**
   * Claims the pending transaction a token carries for one request, until `claimedUntil` (docs/architecture.md,
   * rule 5: one conditional UPDATE). The claim outlives this database transaction, so the request can
   * call a dependency holding no connection; a concurrent request with the same token waits on the row
   * lock, then finds it claimed and is refused. A claim left by a crashed instance lapses at
   * `claimedUntil`. A transaction that offers a choice (`challenge.choices`) can be claimed by any step it names.
   * The same statement returns the journey's passed steps (passedSteps) and locks and returns the journey,
   * which the engine needs next: one round trip instead of three. Locks are taken in the engine's
   * one order, the step's row (the UPDATE) before the journey's (FOR UPDATE OF c). Its snapshot predates the
   * claim, which changes no passed step.
   */
  async claim(
    manager: EntityManager,
    tokenHash: Buffer,
    contextId: string,
    step: AuthStepKind,
    now: Date,
    claimId: string,
    claimedUntil: Date,
  ): Promise<ClaimedTransaction | null> {
    // Prepared once per connection (statementRows): the statement is long and runs on every step request.
    const [row] = await statementRows<ClaimedRow>(manager, {
      name: 'ciam_journey_claim',
      text: `WITH claimed AS (
         UPDATE auth_transactions SET claim_id = $5, claimed_until = $6
          WHERE token_hash = $1 AND context_id = $2 AND (step = $3 OR challenge->'choices' ? $3::text)
            AND status = 'PENDING' AND expires_at > $4 AND (claimed_until IS NULL OR claimed_until <= $4)
          RETURNING id, context_id, step, challenge, otp_hash, attempts, max_attempts, created_at, expires_at, pending_send)
       SELECT claimed.*,
              COALESCE((SELECT json_agg(json_build_object('step', COALESCE(p.result->>'step', p.step::text), 'result', p.result)
                                        ORDER BY p.consumed_at)
                          FROM auth_transactions p
                         WHERE p.context_id = $2 AND p.status = 'CONSUMED' AND p.result IS NOT NULL), '[]'::json) AS passed,
              ${contextColumnsAs('c')}
         FROM claimed JOIN auth_contexts c ON c.id = claimed.context_id
          FOR UPDATE OF c`,
      values: [tokenHash, contextId, step, now, claimId, claimedUntil],
    });
    return row
      ? {
          id: row.id,
          step: row.step,
          challenge: row.challenge,
          otpHash: row.otp_hash,
          attempts: row.attempts,
          maxAttempts: row.max_attempts,
          createdAt: row.created_at,
          expiresAt: row.expires_at,
          pendingSend: row.pending_send,
          passed: row.passed,
          context: contextFromRow(row as unknown as Record<string, unknown>),
        }
      : null;
  }

  /**
   * Back after a dependency call: row-locks the claimed step, if the claim is still this request's (it is not
   * when it lapsed and another request claimed the token meanwhile), and its journey, in one round trip (the
   * step's row first, the engine's one lock order). The journey, or null when the claim is gone.
   */
  async holdClaimAndLockJourney(
    manager: EntityManager,
    contextId: string,
    id: string,
    claimId: string,
  ): Promise<AuthContext | null> {
    const [row] = await statementRows<Record<string, unknown>>(manager, {
      name: 'ciam_journey_hold',
      text: `SELECT ${contextColumnsAs('c')}
         FROM auth_transactions t JOIN auth_contexts c ON c.id = t.context_id
        WHERE t.id = $1 AND t.claim_id = $2 AND t.status = 'PENDING' AND t.context_id = $3
          FOR UPDATE OF t, c`,
      values: [id, claimId, contextId],
    });
    return row ? contextFromRow(row) : null;
  }

  /** Gives the token back unspent (a dependency failed, or the step left it valid): the same token works again. */
  async release(manager: EntityManager, id: string, claimId: string): Promise<void> {
    await manager.query(
      `UPDATE auth_transactions SET claim_id = NULL, claimed_until = NULL WHERE id = $1 AND claim_id = $2`,
      [id, claimId],
    );
  }

  /** Spends a claimed transaction (docs/architecture.md, rule 5: a conditional UPDATE). */
  async consume(
    manager: EntityManager,
    id: string,
    now: Date,
    result: Record<string, unknown> | null = null,
  ): Promise<void> {
    await manager.query(
      `UPDATE auth_transactions SET status = 'CONSUMED', consumed_at = $2, result = $3, claim_id = NULL, claimed_until = NULL, pending_send = NULL
        WHERE id = $1 AND status = 'PENDING'`,
      [id, now, result === null ? null : JSON.stringify(result)],
    );
  }

  /** One more failed attempt on the same transaction; returns the count. */
  async countAttempt(manager: EntityManager, id: string): Promise<number> {
    const [row] = await rowsOf<{ attempts: number }>(
      manager,
      `UPDATE auth_transactions SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts`,
      [id],
    );
    return row.attempts;
  }

  async markFailed(manager: EntityManager, id: string): Promise<void> {
    await manager.query(
      `UPDATE auth_transactions SET status = 'FAILED', claim_id = NULL, claimed_until = NULL, pending_send = NULL WHERE id = $1 AND status = 'PENDING'`,
      [id],
    );
  }

  /** Keeps what a send step is about to send (sealed by the caller), so a retry with the same token resends it. */
  async keepPendingSend(manager: EntityManager, id: string, sealed: Buffer): Promise<void> {
    await manager.query(`UPDATE auth_transactions SET pending_send = $2 WHERE id = $1`, [id, sealed]);
  }

  /**
   * Keeps the answer given when the token was spent (sealed by the caller), for a retry after a lost reply.
   * `audit` (AuditService.takeFragment, given the first free parameter number): the request's audit rows,
   * written by the same statement as a data-modifying CTE member, so they commit with it in one round trip.
   * `consume`: the token is spent by this statement too (as `consume` does, if it is still PENDING).
   */
  async keepResponse(
    manager: EntityManager,
    id: string,
    sealed: Buffer,
    at: Date,
    audit: (firstParam: number) => { text: string; values: unknown[] } | null = () => null,
    consume?: { at: Date; result: Record<string, unknown> },
  ): Promise<void> {
    const [update, values] = consume
      ? [
          `UPDATE auth_transactions SET response_sealed = $2, responded_at = $3, status = 'CONSUMED', consumed_at = $4,
                  result = $5, claim_id = NULL, claimed_until = NULL, pending_send = NULL
            WHERE id = $1 AND status = 'PENDING'`,
          [id, sealed, at, consume.at, JSON.stringify(consume.result)],
        ]
      : [`UPDATE auth_transactions SET response_sealed = $2, responded_at = $3 WHERE id = $1`, [id, sealed, at]];
    // The transaction's deferred writes (the journey's completion) and its audit rows ride along.
    const statement = withDeferred([...takeDeferred(manager), audit], { text: update, values });
    await manager.query(statement.text, statement.values);
  }

  /** The transaction a token names, whatever its state: why it could not be claimed, or the answer it was spent with. */
  async findByTokenHash(manager: EntityManager, tokenHash: Buffer): Promise<PresentedTransaction | null> {
    return manager.getRepository(AuthTransaction).findOne({
      where: { tokenHash },
      select: {
        id: true,
        contextId: true,
        step: true,
        status: true,
        expiresAt: true,
        claimedUntil: true,
        responseSealed: true,
        respondedAt: true,
      },
    });
  }

  /** What the journey's passed steps established, oldest first. */
  async passedSteps(manager: EntityManager, contextId: string): Promise<PassedStep[]> {
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
    await manager.query(
      `UPDATE auth_transactions SET status = 'EXPIRED', claim_id = NULL, claimed_until = NULL, pending_send = NULL
        WHERE context_id = $1 AND status = 'PENDING'`,
      [contextId],
    );
  }

  /** Data lifecycle (expire-transactions job): up to `batch` pending transactions past expiry become EXPIRED. */
  async expireBatch(manager: EntityManager, batch: number, asOf: Date): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(manager, 'SELECT cleanup_expired_transactions($1, $2) AS n', [
      batch,
      asOf,
    ]);
    return Number(row?.n ?? 0);
  }
}
