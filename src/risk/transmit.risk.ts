import type { AppConfig } from '../config/config';
import type { DependencyMeter, Meters } from '../common/meters';
import { callVendor, VendorUnavailableError } from '../common/vendor-http';
import type { DrsRecommendation } from './drs-evaluation.entity';
import { RiskAssessment, RiskEvaluator, RiskInput, RiskUnavailableError } from './risk.port';

const RECOMMENDATIONS: Record<string, DrsRecommendation> = {
  TRUST: 'ALLOW',
  ALLOW: 'ALLOW',
  CHALLENGE: 'CHALLENGE',
  DENY: 'DENY',
};

/**
 * Transmit Security's Detection and Response recommendation API: the frontend's SDK reports the login
 * action and hands us its action token; we fetch the recommendation for it. No action token means the
 * vendor saw nothing of this device: ask for a second factor.
 */
export class TransmitRiskEvaluator extends RiskEvaluator {
  readonly name = 'transmit';
  private readonly meter?: DependencyMeter;

  constructor(
    private readonly settings: AppConfig['risk'],
    meters?: Meters,
  ) {
    super();
    this.meter = meters?.dependency('transmit', 'evaluate');
  }

  async evaluate(input: RiskInput): Promise<RiskAssessment> {
    const actionToken = input.deviceData.actionToken;
    if (typeof actionToken !== 'string' || actionToken.length === 0 || actionToken.length > 4096) {
      return { recommendation: 'CHALLENGE', score: null, reasons: ['no_action_token'], raw: null };
    }
    const url = `${this.settings.transmit.baseUrl}/risk/v1/recommendation?action_token=${encodeURIComponent(actionToken)}`;
    let response;
    try {
      response = await callVendor({
        vendor: 'transmit',
        operation: 'evaluate',
        meter: this.meter,
        url,
        timeoutMs: this.settings.timeoutMs,
        headers: { authorization: `Bearer ${this.settings.transmit.apiToken}`, accept: 'application/json' },
      });
    } catch (error) {
      throw new RiskUnavailableError(error instanceof VendorUnavailableError ? error.message : 'request failed');
    }
    const body = response.body as {
      recommendation?: { type?: string };
      risk_score?: unknown;
      reasons?: unknown;
    } | null;
    const recommendation = RECOMMENDATIONS[String(body?.recommendation?.type ?? '').toUpperCase()];
    if (response.status !== 200 || !recommendation) {
      throw new RiskUnavailableError(`unexpected answer (HTTP ${response.status})`);
    }
    const score = typeof body?.risk_score === 'number' ? Math.max(0, Math.min(100, Math.round(body.risk_score))) : null;
    const reasons = Array.isArray(body?.reasons)
      ? body.reasons.filter((reason): reason is string => typeof reason === 'string').slice(0, 20)
      : [];
    return { recommendation, score, reasons, raw: body as Record<string, unknown> };
  }
}
