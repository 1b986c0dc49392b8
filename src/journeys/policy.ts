import type { OAuthClient } from '../oauth/clients/oauth-client.entity';
import type { DrsRecommendation } from '../risk/drs-evaluation.entity';
import type { AuthContext } from './auth-context.entity';
import type { AuthStepKind } from './auth-transaction.entity';
import type { JourneyStep, StepFacts } from './steps/journey-step';

/** Everything policy decides from: the journey, its client, the steps passed so far and the risk. */
export interface JourneyState {
  context: AuthContext;
  client: OAuthClient;
  passed: Array<{ step: AuthStepKind; facts: StepFacts }>;
  risk: DrsRecommendation | null;
  /** What this request's step learned that is not stored (never customer data at rest). */
  transient: Record<string, unknown>;
}

export type Decision =
  | { next: 'STEP'; steps: JourneyStep[] }
  | { next: 'EVALUATE_RISK' }
  | { next: 'COMPLETE'; amr: string[]; acr: string }
  | { next: 'FAIL'; reason: string; denied: boolean };

export const LOA_PASSWORD = 'urn:ciam:loa:1';
export const LOA_MFA = 'urn:ciam:loa:2';

/**
 * The order of a journey (issue: "policy decides the order"): primary credentials; a risk evaluation;
 * a second factor when risk says CHALLENGE or the customer always needs one; tokens at the end.
 * Returns every step that could satisfy the next requirement, so the frontend can offer a choice.
 */
export async function decide(state: JourneyState, steps: JourneyStep[]): Promise<Decision> {
  const passed = new Set(state.passed.map((entry) => entry.step));
  const primary = steps.filter((step) => step.role === 'primary');
  const primaryPassed = state.passed.find((entry) => primary.some((step) => step.kind === entry.step));
  if (!primaryPassed) return { next: 'STEP', steps: primary.slice(0, 1) };

  if (state.risk === null) return { next: 'EVALUATE_RISK' };
  if (state.risk === 'DENY') return { next: 'FAIL', reason: 'risk evaluation denied the sign-in', denied: true };

  const mfaRequired = state.risk === 'CHALLENGE' || state.passed.some((entry) => entry.facts.mfaRequired === true);
  const secondFactors = steps.filter((step) => step.role === 'second-factor');
  const mfaPassed = state.passed.some((entry) => secondFactors.some((step) => step.kind === entry.step));
  if (mfaRequired && !mfaPassed) {
    const available: JourneyStep[] = [];
    for (const step of secondFactors) if (!passed.has(step.kind) && (await step.availableFor(state))) available.push(step);
    if (available.length === 0) return { next: 'FAIL', reason: 'a second factor is required and the customer has none available', denied: false };
    return { next: 'STEP', steps: available };
  }

  const amr = [...new Set(state.passed.flatMap((entry) => entry.facts.amr))];
  return { next: 'COMPLETE', amr, acr: mfaPassed ? LOA_MFA : LOA_PASSWORD };
}
