import type { EntityManager } from 'typeorm';
import type { ApiError } from '../../common/problem';
import type { RequestOrigin } from '../../common/request-origin';
import type { AuthContext } from '../auth-context.entity';
import type { AuthStepKind } from '../auth-transaction.entity';
import type { ConsumedTransaction } from '../auth-transactions.repository';
import type { JourneyState } from '../policy';

/** What a passed step establishes; stored on its transaction row (auth_transactions.result). */
export interface StepFacts {
  /** Authentication methods (RFC 8176) the step proved. */
  amr: string[];
  /** Set by the step that identifies the customer. */
  cupid?: string;
  [fact: string]: unknown;
}

export type StepOutcome =
  /** `transient` lives for this request only (e.g. the username for the risk rules); it is never stored. */
  | { passed: true; facts: StepFacts; transient?: Record<string, unknown> }
  /** Not passed; the journey goes on with a fresh transaction for the same step (unless retries are used up). */
  | { passed: false; retry: true; error: ApiError }
  /** Not passed; the journey fails for good. */
  | { passed: false; retry: false; error: ApiError; reason: string };

export interface StepRun<Input> {
  state: JourneyState;
  transaction: ConsumedTransaction;
  input: Input;
  origin: RequestOrigin;
  manager: EntityManager;
}

/** What the frontend is told about a step it must do next (and what the transaction row keeps). */
export interface PreparedStep {
  /** Shown to the frontend in nextStep (never a secret). */
  display?: Record<string, unknown>;
  /** Kept on the transaction row (e.g. a challenge, an OTP hash). */
  challenge?: Record<string, unknown>;
  otpHash?: Buffer;
  maxAttempts?: number;
  ttlSeconds?: number;
}

/**
 * One step of a login journey, one class per file (STYLE.md, habit 5). The engine consumes the
 * step's transaction token, then calls `complete`; `prepare` runs when policy makes it the next step.
 * Adding a step is a new class registered under JOURNEY_STEPS; the engine does not change.
 */
export abstract class JourneyStep<Input = unknown> {
  abstract readonly kind: AuthStepKind;
  /** 'primary' identifies the customer; 'second-factor' satisfies an MFA requirement. */
  abstract readonly role: 'primary' | 'second-factor' | 'other';
  /** How many failed tries a journey allows for this step before it fails. */
  abstract maxTries(): number;
  /** Whether the customer can do this step at all (e.g. has a phone for SMS). */
  async availableFor(_state: JourneyState): Promise<boolean> {
    return true;
  }
  async prepare(_context: AuthContext, _state: JourneyState, _manager: EntityManager): Promise<PreparedStep> {
    return {};
  }
  abstract complete(run: StepRun<Input>): Promise<StepOutcome>;
}

export const JOURNEY_STEPS = Symbol('JOURNEY_STEPS');
