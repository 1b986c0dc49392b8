import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { DrsEvaluationsRepository } from './drs-evaluations.repository';
import { RiskAssessment, RiskEvaluator, RiskInput, RiskUnavailableError } from './risk.port';

/** What the evaluator said (or that it could not be asked), before anything is recorded. */
export type RiskVerdict =
  | { kind: 'assessed'; assessment: RiskAssessment; latencyMs: number }
  | { kind: 'unavailable'; reason: string; latencyMs: number };

/**
 * Runs the configured risk evaluator once per journey and records the outcome. The two halves are
 * apart on purpose: `evaluate` may call the vendor and runs outside any database transaction (a slow
 * vendor must not hold a pooled connection); `record` writes the drs_evaluations row and the audit event
 * in the journey's short transaction. When the risk service is down the journey fails closed (503)
 * unless RISK_FAIL_OPEN_TO_CHALLENGE asks for a second factor instead.
 */
@Injectable()
export class RiskService {
  private readonly logger = new Logger(RiskService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly evaluator: RiskEvaluator,
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly evaluations: DrsEvaluationsRepository,
  ) {}

  /** True when the evaluator reads PostgreSQL only (the built-in rules): no vendor call to keep outside a transaction. */
  get evaluatesLocally(): boolean {
    return !this.evaluator.remote;
  }

  /**
   * Holds no connection across a vendor call. `db` is the journey's transaction, given only when the
   * evaluator is local (evaluatesLocally); otherwise the rules read on the pool, holding nothing between reads.
   */
  async evaluate(input: RiskInput, db?: EntityManager): Promise<RiskVerdict> {
    if (db && this.evaluator.remote) throw new Error('a remote risk evaluator must not run inside a transaction');
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const assessment = await this.evaluator.evaluate(input, db ?? this.dataSource.manager);
      return { kind: 'assessed', assessment, latencyMs: elapsed() };
    } catch (error) {
      if (!(error instanceof RiskUnavailableError)) throw error;
      this.logger.warn(`${error.message} (context ${input.contextId})`);
      return { kind: 'unavailable', reason: error.message, latencyMs: elapsed() };
    }
  }

  /**
   * Records the verdict in the journey's transaction. Returns the assessment policy decides on, or null
   * when the service was down and the journey must fail closed (the caller answers 503; the
   * `risk.unavailable` event commits with the release of the step's token).
   */
  async record(manager: EntityManager, input: RiskInput, verdict: RiskVerdict): Promise<RiskAssessment | null> {
    let assessment: RiskAssessment;
    if (verdict.kind === 'unavailable') {
      await this.audit.record(manager, {
        type: AUDIT_EVENT_TYPES.RISK_UNAVAILABLE,
        outcome: 'FAILURE',
        actor: { type: 'SYSTEM', id: this.evaluator.name },
        cupid: input.cupid,
        contextId: input.contextId,
        clientId: input.clientId,
        ip: input.ip,
        details: { provider: this.evaluator.name, failOpenToChallenge: this.config.risk.failOpenToChallenge },
      });
      if (!this.config.risk.failOpenToChallenge) return null;
      assessment = { recommendation: 'CHALLENGE', score: null, reasons: ['risk_service_unavailable'], raw: null };
    } else {
      assessment = verdict.assessment;
    }
    const { latencyMs } = verdict;
    await this.evaluations.insert(manager, {
      contextId: input.contextId,
      cupid: input.cupid,
      recommendation: assessment.recommendation,
      score: assessment.score,
      reasons: assessment.reasons,
      provider: this.evaluator.name,
      rawResponse: assessment.raw,
      latencyMs,
    });
    await this.audit.record(manager, {
      type: AUDIT_EVENT_TYPES.RISK_EVALUATED,
      outcome: assessment.recommendation === 'DENY' ? 'FAILURE' : 'SUCCESS',
      actor: { type: 'SYSTEM', id: this.evaluator.name },
      cupid: input.cupid,
      contextId: input.contextId,
      clientId: input.clientId,
      ip: input.ip,
      userAgent: input.userAgent,
      details: {
        recommendation: assessment.recommendation,
        score: assessment.score,
        reasons: assessment.reasons,
        provider: this.evaluator.name,
        latencyMs,
      },
    });
    return assessment;
  }
}
