import type { AuditActor } from '../audit/audit-actor';

/**
 * A further part of a client's deactivation cascade, run by ClientDeactivationService after the client row,
 * its sessions and its tokens. Each step must be idempotent (running the cascade again finishes an
 * interrupted run), work in bounded short transactions and audit what it ends. Returns how many things it
 * ended, reported under `name` in the outcome.
 */
export interface ClientDeactivationStep {
  readonly name: string;
  run(clientId: string, by: AuditActor): Promise<number>;
}

/**
 * The provider token of the steps list (ClientDeactivationModule provides it). THE place to plug further
 * cascade steps in: the customers' consents to the client (issue 16 item 2) are revoked by adding the consent
 * module's step to this list there.
 */
export const CLIENT_DEACTIVATION_STEPS = Symbol('CLIENT_DEACTIVATION_STEPS');
