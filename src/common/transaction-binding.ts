import { createHash } from 'node:crypto';

/** A payment a step-up approves (issue 15): shown on the push prompt and bound into the result. */
export interface TransactionDetails {
  /** A decimal amount as text ("125.00"): never a float, so what is shown is what is hashed. */
  amount: string;
  /** ISO 4217 code, e.g. EUR. */
  currency: string;
  payee: string;
}

/**
 * The hash that links an approval to one transaction (dynamic linking, PSD2 RTS Art. 5): base64url SHA-256
 * of the details in a fixed order and form. A changed amount or payee gives another hash, so an approval
 * never carries over to it.
 */
export function transactionHash(details: TransactionDetails): string {
  const canonical = JSON.stringify([details.amount, details.currency.toUpperCase(), details.payee]);
  return createHash('sha256').update(canonical, 'utf8').digest('base64url');
}
