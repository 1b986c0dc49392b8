import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditEvent, AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { ApiError } from '../../common/problem';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { PushPromptsRepository } from './push-prompts.repository';

const WINDOW_SECONDS = 15 * 60;

export const pushLimitReached = (retryAfterSeconds: number, alternatives: string[]) =>
  new ApiError(
    HttpStatus.TOO_MANY_REQUESTS,
    'PUSH_LIMIT_REACHED',
    'Too many approval requests',
    alternatives.length > 0
      ? 'Too many approval requests were sent. Use the code by SMS instead, with the same transaction token.'
      : 'Too many approval requests were sent. Try again later.',
    { alternatives: alternatives.map((type) => ({ type })) },
    retryAfterSeconds,
  );

/**
 * Push prompts are budgeted against push fatigue (SECURITY-DEFAULTS.md: at most 3 per journey and 5 per
 * customer in 15 minutes, then the one-time code; ASVS 6.6.x, CISA's guidance on MFA fatigue). Counted
 * in PostgreSQL, so every instance enforces one budget.
 */
@Injectable()
export class PushBudget {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prompts: PushPromptsRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /**
   * Counts one more prompt before it is sent: under the customer's prompt lock (transaction-scoped, so it
   * ends with the step's short DB phase, never held over the send), refuses when a budget is spent
   * (audited) or records the prompt and returns its id. Every instance sees the reserved row at once, so
   * concurrent sends cannot overshoot while the push provider is called with no lock or connection held.
   * The send phase then keeps the row (delivered) or cancels it (nothing reached a device).
   */
  async reserve(
    manager: EntityManager,
    prompt: { contextId: string; cupid: string; journeyExpiresAt: Date },
    base: Omit<AuditEvent, 'type' | 'outcome' | 'details'>,
    alternatives: string[],
  ): Promise<{ refused: ApiError } | { promptId: string }> {
    const now = this.clock.now();
    const { promptsPerJourney, promptsPerCustomer15m } = this.config.push;
    await this.prompts.lockCustomer(manager, prompt.cupid);
    const counts = await this.prompts.counts(
      manager,
      prompt.contextId,
      prompt.cupid,
      new Date(now.getTime() - WINDOW_SECONDS * 1000),
    );
    const seconds = (until: Date) => Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
    let refused: { scope: 'journey' | 'customer'; prompts: number; limit: number; retryAfterSeconds: number } | null =
      null;
    if (counts.customerInWindow >= promptsPerCustomer15m) {
      const oldest = counts.oldestInWindow ?? now;
      refused = {
        scope: 'customer',
        prompts: counts.customerInWindow,
        limit: promptsPerCustomer15m,
        retryAfterSeconds: seconds(new Date(oldest.getTime() + WINDOW_SECONDS * 1000)),
      };
    } else if (counts.journey >= promptsPerJourney) {
      // No wait brings this journey more prompts: Retry-After says when a new journey stops mattering to it.
      refused = {
        scope: 'journey',
        prompts: counts.journey,
        limit: promptsPerJourney,
        retryAfterSeconds: seconds(prompt.journeyExpiresAt),
      };
    }
    if (!refused)
      return {
        promptId: await this.prompts.record(manager, { contextId: prompt.contextId, cupid: prompt.cupid, at: now }),
      };
    await this.audit.record(manager, {
      ...base,
      type: AUDIT_EVENT_TYPES.PUSH_LIMITED,
      outcome: 'FAILURE',
      details: refused,
    });
    return { refused: pushLimitReached(refused.retryAfterSeconds, alternatives) };
  }

  /** Nothing reached a device: the reserved prompt does not count. */
  async cancel(manager: EntityManager, promptId: string): Promise<void> {
    await this.prompts.remove(manager, promptId);
  }
}
