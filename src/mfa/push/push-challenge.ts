/**
 * What the push transaction keeps (auth_transactions.challenge): the challenge, the number to match, and
 * (once answered) the decision. Kept beside the factor, so the device's answer (push-answers.service.ts)
 * reads it without importing the journeys (a factor never imports src/journeys).
 */
export interface PushChallenge {
  phase: 'WAITING';
  pushChallengeId: string;
  number: number;
  expiresAt: string;
  deviceIds: string[];
  decision: 'approved' | 'denied' | 'rejected' | null;
  answeredBy?: string;
  /** The approving device's key: it cannot vouch for itself (the journey policy's independentSecondFactor). */
  answeredByThumbprint?: string;
  reason?: string;
}
