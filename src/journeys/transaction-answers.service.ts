import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { ApiError } from '../common/problem';
import type { RequestOrigin } from '../common/request-origin';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import type { AuthStepKind } from './auth-transaction.entity';
import { AuthTransactionsRepository, PresentedTransaction } from './auth-transactions.repository';
import type { JourneyView, Settled } from './journey-completion.service';
import { StepInProgressError, StepOutOfOrderError, TransactionInvalidError } from './journey-errors';
import { fromStoredAnswer, StoredAnswer, toStoredAnswer, TokenVault } from './token-vault';

/** The request as far as its token's answers go. */
export interface PresentedToken {
  journeyId: string;
  kind: AuthStepKind;
  action: string;
  origin: RequestOrigin;
  tokenHash: Buffer;
  vault: TokenVault;
  /** requestDigest(step, action, body): a retry gets the stored answer only for the very same request. */
  digest: string;
}

/**
 * What a transaction token answers besides running its step: the answer it was spent with, kept sealed
 * for JOURNEY_RETRY_WINDOW_SECONDS so a client that lost the reply gets it again (RFC 9110 §9.2.2 style
 * idempotent retry, as the refresh grace does for refresh tokens), or one refusal shape for every token
 * that cannot run (docs/architecture.md, rule 11), with the precise reason in the audit trail.
 */
@Injectable()
export class TransactionAnswers {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transactions: AuthTransactionsRepository,
    private readonly audit: AuditService,
  ) {}

  /** Keeps the answer of a spent token, sealed under the token and this request. */
  async keep(
    tx: EntityManager,
    token: PresentedToken,
    transactionId: string,
    settled: Settled,
    now: Date,
    /** A pass not yet written: the token is spent by this same statement (AuthTransactionsRepository.keepResponse). */
    consume?: { at: Date; result: Record<string, unknown> },
  ): Promise<Settled> {
    if (this.config.journeys.retryWindowSeconds > 0) {
      const sealed = token.vault.seal(`response:${token.digest}`, transactionId, toStoredAnswer(settled));
      // The last statement of the step's transaction: the audit events collected so far ride along.
      const audit = (firstParam: number) => this.audit.takeFragment(tx, firstParam);
      await this.transactions.keepResponse(tx, transactionId, sealed, now, audit, consume);
    } else if (consume) {
      await this.transactions.consume(tx, transactionId, consume.at, consume.result);
    }
    return settled;
  }

  /** A token that cannot be claimed: the stored answer when this is a retry of the request that spent it, otherwise a refusal. */
  async replayOrRefuse(tx: EntityManager, token: PresentedToken, now: Date): Promise<Settled> {
    const found = await this.transactions.findByTokenHash(tx, token.tokenHash);
    const windowMs = this.config.journeys.retryWindowSeconds * 1000;
    if (
      found &&
      found.contextId === token.journeyId &&
      found.respondedAt &&
      now.getTime() - found.respondedAt.getTime() <= windowMs
    ) {
      const stored = token.vault.open<StoredAnswer<JourneyView>>(
        `response:${token.digest}`,
        found.id,
        found.responseSealed,
      );
      if (stored) {
        const answer = fromStoredAnswer(stored);
        await this.audit.record(tx, {
          type: AUDIT_EVENT_TYPES.JOURNEY_RESPONSE_REPLAYED,
          outcome: 'SUCCESS',
          actor: { type: 'CUSTOMER', id: null },
          contextId: token.journeyId,
          ip: token.origin.ip,
          userAgent: token.origin.userAgent,
          details: { step: token.kind, action: token.action, status: 'view' in answer ? 200 : answer.error.status },
        });
        return answer;
      }
    }
    // One read decides: a second read could see the winner's commit land in between (PENDING and claimed
    // here, CONSUMED there) and refuse a retry that should have been told "in progress" (or its answer).
    return this.refuse(tx, token, now, undefined, found);
  }

  /** One shape for the client; the reason (unknown, foreign, consumed, expired, in progress ...) goes to the audit trail. */
  async refuse(
    tx: EntityManager,
    token: PresentedToken,
    now: Date,
    closed?: string,
    /** The token's row as the caller already read it in this request (null: none); read here when not given. */
    seen?: PresentedTransaction | null,
  ): Promise<{ error: ApiError }> {
    const { journeyId, kind, origin } = token;
    const found = seen !== undefined ? seen : await this.transactions.findByTokenHash(tx, token.tokenHash);
    const reason =
      closed ??
      (!found
        ? 'unknown'
        : found.contextId !== journeyId
          ? 'foreign'
          : found.status === 'CONSUMED'
            ? 'consumed'
            : found.status !== 'PENDING' || found.expiresAt <= now
              ? 'expired'
              : found.claimedUntil && found.claimedUntil > now
                ? 'in_progress'
                : 'out_of_order');
    await this.audit.record(tx, {
      type: AUDIT_EVENT_TYPES.TRANSACTION_REJECTED,
      outcome: 'FAILURE',
      actor: { type: 'CUSTOMER', id: null },
      contextId: found?.contextId === journeyId ? journeyId : null,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: { step: kind, reason, ...(reason === 'foreign' ? { presentedForJourney: journeyId } : {}) },
    });
    // Out of order and in progress are the refusals worth explaining: the token is good, but the step is not
    // the one awaited, or its first try has not answered yet (a client that timed out retries into it).
    if (reason === 'in_progress') return { error: new StepInProgressError() };
    return { error: reason === 'out_of_order' ? new StepOutOfOrderError(found!.step) : new TransactionInvalidError() };
  }
}
