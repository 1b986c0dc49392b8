import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { deferWrite, rowsOf } from '../database/sql';
import type { DrsRecommendation } from './drs-evaluation.entity';

export interface NewDrsEvaluation {
  contextId: string;
  cupid: string | null;
  recommendation: DrsRecommendation;
  score: number | null;
  reasons: string[];
  provider: string;
  rawResponse: Record<string, unknown> | null;
  latencyMs: number;
}

/**
 * Owns drs_evaluations: RiskService records each assessment, the journeys read the latest one (by context id,
 * so risk never imports the journeys), and the purge job deletes rows past retention. Rows also go by
 * ON DELETE CASCADE with their journey (docs/architecture.md, "Tables and their owners").
 */
@Injectable()
export class DrsEvaluationsRepository {
  /**
   * Deferred inside a journey's unit of work (deferWrite: it rides with the journey's next write, nothing
   * later in the transaction reads it); written at once anywhere else.
   */
  async insert(manager: EntityManager, evaluation: NewDrsEvaluation): Promise<void> {
    await deferWrite(manager, (first) => ({
      text: `INSERT INTO drs_evaluations (context_id, cupid, recommendation, score, reasons, provider, raw_response, latency_ms)
       VALUES (${[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `$${first + i}`).join(', ')})`,
      values: [
        evaluation.contextId,
        evaluation.cupid,
        evaluation.recommendation,
        evaluation.score,
        evaluation.reasons,
        evaluation.provider,
        evaluation.rawResponse === null ? null : JSON.stringify(evaluation.rawResponse),
        evaluation.latencyMs,
      ],
    }));
  }

  /** The journey's latest evaluation, or null before risk was evaluated (idx_drs_context). */
  async findLatest(manager: EntityManager, contextId: string): Promise<{ recommendation: DrsRecommendation } | null> {
    const [row] = await rowsOf<{ recommendation: DrsRecommendation }>(
      manager,
      `SELECT recommendation FROM drs_evaluations WHERE context_id = $1 ORDER BY created_at DESC LIMIT 1`,
      [contextId],
    );
    return row ?? null;
  }

  /** Data lifecycle (purge job): evaluations past the journey retention (idx_drs_created). */
  async deleteOldBatch(manager: EntityManager, batch: number, asOf: Date, retentionDays: number): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(
      manager,
      `WITH due AS (SELECT id FROM drs_evaluations WHERE created_at < $2::timestamptz - make_interval(days => $3) LIMIT $1 FOR UPDATE SKIP LOCKED),
            gone AS (DELETE FROM drs_evaluations x USING due WHERE x.id = due.id RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [batch, asOf, retentionDays],
    );
    return Number(row?.n ?? 0);
  }
}
