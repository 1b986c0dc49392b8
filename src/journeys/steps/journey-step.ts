import type { EntityManager } from 'typeorm';
import type { ApiError } from '../../common/problem';
import type { RequestOrigin } from '../../common/request-origin';
import type { AuthContext } from '../auth-context.entity';
import type { AuthStepKind } from '../auth-transaction.entity';
import type { ClaimedTransaction } from '../auth-transactions.repository';
import type { JourneyState, TransientFacts } from '../policy';

/** What a passed step establishes; stored on its transaction row (auth_transactions.result). */
export interface StepFacts {
  /** Authentication methods (RFC 8176) the step proved. */
  amr: string[];
  /** Set by the step that identifies the customer. */
  cupid?: string;
  [fact: string]: unknown;
}

export type StepOutcome =
  /** Passed: the facts are recorded and policy picks the next step. `transient` lives for this request only. */
  | { kind: 'passed'; facts: StepFacts; transient?: TransientFacts }
  /** Not passed yet, but moved on (a code was sent): a new token for the same step, with `prepared`. */
  | { kind: 'continue'; prepared: PreparedStep }
  /** Failed; the token is spent and a fresh one for the same step rides along with the error (a wrong password). */
  | { kind: 'retry-new-token'; error: ApiError }
  /** Failed; the same token stays valid (a wrong code). `countAttempt` spends one of the transaction's attempts. */
  | { kind: 'retry-same-token'; error: ApiError; countAttempt: boolean }
  /** Failed for good: the journey ends. */
  | { kind: 'failed'; error: ApiError; reason: string }
  /** Nothing decided yet (a push awaiting the device): the same token, with what to show meanwhile. */
  | { kind: 'pending'; display: Record<string, unknown> };

/** The step needs a dependency (directory, SMS, push) before it can decide: the engine calls `contact` with this plan. */
export interface StepContact {
  kind: 'contact';
  plan: unknown;
}

/**
 * What a send step keeps across retries with the same transaction token (the SMS code and its
 * idempotency key, the push challenge): sealed under a key only the token derives, so a database
 * reader learns nothing and a retry after a failed or timed-out send sends the very same message.
 */
export interface PendingSend {
  read<T>(): T | null;
  write<T>(value: T): Promise<void>;
}

export interface StepRun<Input> {
  state: JourneyState;
  transaction: ClaimedTransaction;
  /** What the request asks of the step, e.g. `verify`, `send`, `resend`. */
  action: string;
  input: Input;
  origin: RequestOrigin;
  /** The current short database transaction (never open while `contact` runs). */
  manager: EntityManager;
  pending: PendingSend;
  /** What `begin` planned for `contact` (when it asked for one). */
  plan?: unknown;
  /** What `contact` brought back (when it ran). */
  evidence?: unknown;
}

/** What `contact` gets: no database access at all, by design. */
export type ContactRun<Input> = Omit<StepRun<Input>, 'manager' | 'pending'>;

/** What the frontend is told about a step it must do next (and what the transaction row keeps). */
export interface PreparedStep {
  /** Shown to the frontend in nextStep (never a secret). */
  display?: Record<string, unknown>;
  /** Kept on the transaction row (e.g. a challenge, an OTP hash). */
  challenge?: Record<string, unknown>;
  otpHash?: Buffer;
  maxAttempts?: number;
  /** Attempts already spent (carried over when a step re-issues its transaction, e.g. a resent code). */
  attempts?: number;
  ttlSeconds?: number;
}

/**
 * One step of a login journey, one class per file (docs/architecture.md, rule 8). The engine claims the step's
 * transaction token and calls `begin` in one short database transaction (or, for a step with a `precheck`, claims
 * it by one statement and asks `precheck` outside any transaction); a step that needs a dependency
 * answers with a plan, the engine runs `contact` holding no database connection, then calls `complete`
 * in a second short transaction (a step without network work completes in the first). When `contact`
 * fails, `abandon` records the failure in the transaction that releases the token, so the same token
 * can retry. `prepare` runs when policy makes the step the next one.
 * Adding a step is a new class registered under JOURNEY_STEPS; the engine does not change.
 */
export abstract class JourneyStep<Input = unknown> {
  abstract readonly kind: AuthStepKind;
  /**
   * Where policy places the step: 'primary' identifies the customer; 'device-proof' lets a bound device
   * stand in for MFA; 'second-factor' satisfies an MFA requirement; 'consent' (documents to sign) and
   * 'enrolment' (binding this device) come before the tokens when they apply. A forgot-password journey has
   * its own two: 'reset-identify' (the username alone) and 'reset-password' (the new password).
   * 'authorization' (the customer's consent to the client, issue 16) comes last, after everything that
   * authenticates, also in a step-up or a single sign-on that only lacks it.
   */
  abstract readonly role:
    | 'primary'
    | 'device-proof'
    | 'second-factor'
    | 'consent'
    | 'enrolment'
    | 'authorization'
    | 'reset-identify'
    | 'reset-password';
  /** How many failed tries a journey allows for this step before it fails. */
  abstract maxTries(): number;
  /** Whether the customer can do this step at all (e.g. has a phone for SMS). */
  async availableFor(_state: JourneyState): Promise<boolean> {
    return true;
  }
  /**
   * Whether this service can do the step at all, whoever the customer (e.g. email codes need an email provider).
   * A forgot-password journey offers the same factors to every username, so there only this filters them.
   */
  offeredByService(): boolean {
    return true;
  }
  /** Whether the journey's request names this step as its first (a primary step: /oauth2/authorize's idp_hint). */
  async hintedFor(_state: JourneyState): Promise<boolean> {
    return false;
  }
  /** How the step appears among the options of a choice (e.g. the masked phone number). */
  async describe(_state: JourneyState): Promise<Record<string, unknown>> {
    return {};
  }
  async prepare(_context: AuthContext, _state: JourneyState, _manager: EntityManager): Promise<PreparedStep> {
    return {};
  }
  /**
   * Whether the engine should look the customer up in the directory (outside any database transaction)
   * before the step runs: the step, or policy right after it, needs the directory entry (e.g. the phone).
   */
  readonly needsCustomer: boolean = false;
  /** A primary step that needs no password (a passkey): policy offers it only to journeys started for it. */
  readonly passwordless: boolean = false;
  /** The factor shows a transaction and its approval is bound to it (dynamic linking): it can reach loa3. */
  readonly bindsTransaction: boolean = false;
  /**
   * Optional, for a step that calls a dependency: reads only (no writes, no audit), on pooled connections outside
   * any transaction. The plan for `contact` when nothing stands in the way, or null to let `begin` decide in a
   * transaction (a refusal to record). A step that has it is claimed by one statement and goes to its dependency
   * with no transaction opened before it (issue 14: START and COMMIT are two of a login's round trips).
   */
  precheck?(run: StepRun<Input>): Promise<StepContact | null>;
  /** Database work before any dependency is called: an early outcome, a plan for `contact`, or null to complete at once. */
  async begin(_run: StepRun<Input>): Promise<StepOutcome | StepContact | null> {
    return null;
  }
  /** The dependency call, with no database connection held; throws when the dependency fails. */
  async contact(_run: ContactRun<Input>): Promise<unknown> {
    throw new Error(`${this.kind} has no dependency to contact`);
  }
  /**
   * `contact` failed: record it in `run.manager` (the transaction that releases the token) and say what
   * to answer; null when the error is not the dependency's (the engine then answers 500).
   */
  async abandon(_run: StepRun<Input>, _error: unknown): Promise<ApiError | null> {
    return null;
  }
  abstract complete(run: StepRun<Input>): Promise<StepOutcome>;
  /**
   * The journey completed with a session, in its last transaction: what a passed step left to do at the end (the
   * FEDERATED step links a provider's subject once the customer proved the CUPID). `facts`: what it established.
   */
  async onJourneyComplete(_tx: EntityManager, _state: JourneyState, _facts: StepFacts, _origin: RequestOrigin) {
    return;
  }
}

export const JOURNEY_STEPS = Symbol('JOURNEY_STEPS');

/** The fields every audit event of a journey step carries: the customer (once known), journey, client and origin. */
export function stepAuditBase(state: JourneyState, origin: RequestOrigin) {
  return {
    actor: { type: 'CUSTOMER' as const, id: state.context.cupid },
    cupid: state.context.cupid,
    contextId: state.context.id,
    clientId: state.client.clientId,
    ip: origin.ip,
    userAgent: origin.userAgent,
  };
}
