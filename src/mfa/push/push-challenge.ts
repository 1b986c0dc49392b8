/**
 * A push challenge, the push factor's own state (table push_challenges, owned by
 * push-challenges.repository.ts). The journey keeps only the challenge's id and asks the factor for a
 * verdict (push-challenges.service.ts); it never reads these fields itself.
 */
export type PushChallengeStatus = 'PENDING' | 'APPROVED' | 'DENIED' | 'REJECTED' | 'EXPIRED';

export interface PushChallenge {
  id: string;
  contextId: string | null;
  cupid: string;
  /** The devices the push went to: only they may answer. */
  deviceIds: string[];
  /** The number to match: shown at sign-in, typed on the device, never pushed. */
  number: number;
  status: PushChallengeStatus;
  /** Why an answer was REJECTED (a foreign signature, a wrong number). */
  reason: string | null;
  createdAt: Date;
  expiresAt: Date;
  answeredAt: Date | null;
  answeredByDeviceId: string | null;
  /** The approving device's key: it cannot vouch for itself (the journey policy's independentSecondFactor). */
  answeredByThumbprint: string | null;
  /**
   * The transaction this push approves (dynamic linking, PSD2 RTS Art. 5): base64url SHA-256 of its details,
   * shown on the device with them; the device's signed answer must carry the same hash. null: a sign-in.
   */
  transactionHash: string | null;
}

/** What the factor tells the journey about one challenge. */
export type PushVerdict =
  | { outcome: 'waiting'; number: number; expiresAt: Date }
  | { outcome: 'approved'; deviceId: string; deviceThumbprint: string; transactionHash: string | null }
  | { outcome: 'denied' }
  | { outcome: 'rejected'; reason: string }
  | { outcome: 'expired' };
