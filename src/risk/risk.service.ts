import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { DependencyUnavailableError } from '../common/problem';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { DrsEvaluation } from './drs-evaluation.entity';
import { RiskAssessment, RiskEvaluator, RiskInput, RiskUnavailableError } from './risk.port';

/**
 * Runs the configured risk evaluator once per journey and records the outcome (a drs_evaluations row and
 * an audit event, in the journey's transaction). When the risk service is down the journey fails closed
 * (503) unless RISK_FAIL_OPEN_TO_CHALLENGE asks for a second factor instead.
 */
@Injectable()
export class RiskService {
  private readonly logger = new Logger(RiskService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly evaluator: RiskEvaluator,
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async assess(manager: EntityManager, input: RiskInput): Promise<RiskAssessment> {
    const started = performance.now();
    let assessment: RiskAssessment;
    try {
      assessment = await this.evaluator.evaluate(input, manager);
    } catch (error) {
      if (!(error instanceof RiskUnavailableError)) throw error;
      this.logger.warn(`${error.message} (context ${input.contextId})`);
      await this.dataSource.transaction((tx) =>
        this.audit.record(tx, {
          type: AUDIT_EVENT_TYPES.RISK_UNAVAILABLE, outcome: 'FAILURE', actor: { type: 'SYSTEM', id: this.evaluator.name },
          cupid: input.cupid, contextId: input.contextId, clientId: input.clientId, ip: input.ip,
          details: { provider: this.evaluator.name, failOpenToChallenge: this.config.risk.failOpenToChallenge },
        }),
      );
      if (!this.config.risk.failOpenToChallenge) throw new DependencyUnavailableError('risk evaluation');
      assessment = { recommendation: 'CHALLENGE', score: null, reasons: ['risk_service_unavailable'], raw: null };
    }
    const latencyMs = Math.round(performance.now() - started);
    await manager.getRepository(DrsEvaluation).insert({
      contextId: input.contextId, cupid: input.cupid, recommendation: assessment.recommendation, score: assessment.score,
      reasons: assessment.reasons, provider: this.evaluator.name, rawResponse: assessment.raw, latencyMs,
    } as QueryDeepPartialEntity<DrsEvaluation>);
    await this.audit.record(manager, {
      type: AUDIT_EVENT_TYPES.RISK_EVALUATED, outcome: assessment.recommendation === 'DENY' ? 'FAILURE' : 'SUCCESS',
      actor: { type: 'SYSTEM', id: this.evaluator.name }, cupid: input.cupid, contextId: input.contextId, clientId: input.clientId,
      ip: input.ip, userAgent: input.userAgent,
      details: { recommendation: assessment.recommendation, score: assessment.score, reasons: assessment.reasons, provider: this.evaluator.name, latencyMs },
    });
    return assessment;
  }
}
