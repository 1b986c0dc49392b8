import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '../../database/sql';

export interface PromptCounts {
  journey: number;
  customerInWindow: number;
  /** When the oldest prompt of the customer's window was sent (Retry-After counts from it). */
  oldestInWindow: Date | null;
}

/** Owns push_prompts. */
@Injectable()
export class PushPromptsRepository {
  /** Prompts to one customer are serialised across instances for the rest of the transaction (no two pass the budget at once). */
  async lockCustomer(manager: EntityManager, cupid: string): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 11))`, [`push:${cupid}`]);
  }

  async counts(manager: EntityManager, contextId: string, cupid: string, windowStart: Date): Promise<PromptCounts> {
    const [row] = await rowsOf<{ journey: number; customer: number; oldest: Date | null }>(
      manager,
      `SELECT (SELECT count(*) FROM push_prompts WHERE context_id = $1)::int AS journey,
              (SELECT count(*) FROM push_prompts WHERE cupid = $2 AND sent_at > $3)::int AS customer,
              (SELECT min(sent_at) FROM push_prompts WHERE cupid = $2 AND sent_at > $3) AS oldest`,
      [contextId, cupid, windowStart],
    );
    return { journey: row.journey, customerInWindow: row.customer, oldestInWindow: row.oldest };
  }

  async record(manager: EntityManager, prompt: { contextId: string; cupid: string; at: Date }): Promise<string> {
    const [row] = await rowsOf<{ id: string }>(
      manager,
      `INSERT INTO push_prompts (context_id, cupid, sent_at) VALUES ($1, $2, $3) RETURNING id`,
      [prompt.contextId, prompt.cupid, prompt.at],
    );
    return row.id;
  }

  /**
   * One batch of prompts sent before `before` (the data lifecycle: purge-journey-data); the budgets look
   * back 15 minutes, so old rows only keep the journey's history. Returns the rows deleted.
   */
  async deleteSentBefore(manager: EntityManager, before: Date, batch: number): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(
      manager,
      `WITH due AS (SELECT id FROM push_prompts WHERE sent_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED),
            gone AS (DELETE FROM push_prompts p USING due WHERE p.id = due.id RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [before, batch],
    );
    return row.n;
  }

  async remove(manager: EntityManager, id: string): Promise<void> {
    await manager.query(`DELETE FROM push_prompts WHERE id = $1`, [id]);
  }
}
