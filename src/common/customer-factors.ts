import { Injectable } from '@nestjs/common';

/**
 * A customer's registered authentication factors, across factor types, for the customer (/me) and support
 * agents: each factor module (SMS phone, email, TOTP, passkeys, recovery codes, bound devices, ...) registers
 * one source at module init; the listing, revocation and an agent's "reset second factors" go through here,
 * so no caller needs to import every factor module (factors never import journeys or the HTTP layer).
 */
export interface CustomerFactorSummary {
  /** The factor type: 'sms', 'email', 'totp', 'passkey', 'recovery_codes', 'device', ... */
  kind: string;
  /** The source's own id of this factor (credential id, row id); never a secret. */
  id: string;
  /** A label a person recognises ("Passkey on iPhone", "a***@example.com", "8 of 10 codes left"). */
  label: string;
  createdAt: Date | null;
  lastUsedAt: Date | null;
  /** Whether this source can revoke this factor one by one (the directory's phone cannot). */
  revocable: boolean;
}

export interface CustomerFactorSource {
  readonly kind: string;
  list(cupid: string): Promise<CustomerFactorSummary[]>;
  /** Revokes one factor of the customer; false when it does not exist (or is not theirs). Audits itself. */
  revoke(
    cupid: string,
    id: string,
    actor: { type: 'customer' | 'agent'; id: string },
    reason?: string,
  ): Promise<boolean>;
  /** Revokes every factor of this kind the customer has (an agent's MFA reset); the number revoked. Audits itself. */
  revokeAll(cupid: string, actor: { type: 'customer' | 'agent'; id: string }, reason?: string): Promise<number>;
}

/** The registry of factor sources, provided globally by CommonModule. */
@Injectable()
export class CustomerFactors {
  private readonly sources = new Map<string, CustomerFactorSource>();

  register(source: CustomerFactorSource): void {
    if (this.sources.has(source.kind)) throw new Error(`factor source ${source.kind} registered twice`);
    this.sources.set(source.kind, source);
  }

  source(kind: string): CustomerFactorSource | undefined {
    return this.sources.get(kind);
  }

  all(): CustomerFactorSource[] {
    return [...this.sources.values()];
  }

  async list(cupid: string): Promise<CustomerFactorSummary[]> {
    const lists = await Promise.all(this.all().map((source) => source.list(cupid)));
    return lists.flat();
  }
}
