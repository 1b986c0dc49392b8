/** Who a customer-facing bearer token speaks for. */
export interface CustomerPrincipal {
  cupid: string;
  sessionId: string;
  clientId: string;
}

/**
 * The port the self-service API checks its bearer tokens through. Tokens depend on sessions, never the
 * reverse (docs/architecture.md, "Module walls"): the tokens module provides the adapter, and the guard injects it
 * by this class (src/me/customer-auth.guard.ts; MeModule imports TokensModule).
 */
export abstract class CustomerTokenVerifier {
  /** The customer behind a live access token of a live session; null for anything else (client tokens included). */
  abstract verifyCustomerToken(bearer: string): Promise<CustomerPrincipal | null>;
}
