import type { EntityManager } from 'typeorm';
import type { DrsRecommendation } from './drs-evaluation.entity';

/** What the risk evaluation knows about a login attempt. */
export interface RiskInput {
  contextId: string;
  cupid: string;
  /** Consecutive failed logins of the account just before this one succeeded. */
  accountFailures: number;
  clientId: string;
  channel: string;
  ip: string | null;
  userAgent: string | null;
  deviceId: string | null;
  deviceData: Record<string, unknown>;
}

export interface RiskAssessment {
  recommendation: DrsRecommendation;
  /** 0 (no risk) to 100. */
  score: number | null;
  reasons: string[];
  /** The vendor's answer as received (never holds secrets we sent). */
  raw: Record<string, unknown> | null;
}

export class RiskUnavailableError extends Error {
  constructor(reason: string) {
    super(`the risk service is unavailable: ${reason}`);
    this.name = 'RiskUnavailableError';
  }
}

/** The device-risk port (DRS). ALLOW lets policy skip MFA; CHALLENGE asks for it; DENY ends the journey. */
export abstract class RiskEvaluator {
  abstract readonly name: string;
  /**
   * True when `evaluate` asks a vendor over the network, so it must run holding no database connection;
   * false for rules that only read PostgreSQL, which a journey runs inside its own short transaction.
   */
  readonly remote: boolean = true;
  /** `db` reads history (the built-in rules); it is never a transaction held open across a vendor call. */
  abstract evaluate(input: RiskInput, db: EntityManager): Promise<RiskAssessment>;
}
