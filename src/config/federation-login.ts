import type { EnvReader } from './env-reader';

/** Sign-in through upstream identity providers (issue 21, items 1 and 2; src/federation). */
export interface FederationLoginConfig {
  /**
   * How long an instance keeps what it learned about the providers: the list of active providers the login
   * journey offers, and each OpenID provider's discovery document (its keys are refreshed by openid-client on an
   * unknown key id). A change made on this instance applies at once; on the others within this time.
   */
  cacheTtlSeconds: number;
}

export function readFederationLoginConfig(read: EnvReader): { federationLogin: FederationLoginConfig } {
  return { federationLogin: { cacheTtlSeconds: read.integer('FEDERATION_CACHE_TTL_SECONDS', 60, 0, 86400) } };
}
