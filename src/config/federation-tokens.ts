import type { EnvReader } from './env-reader';

/** The upstream providers' tokens kept per federation link (issue 21, item 3; src/federation). */
export interface FederationTokensConfig {
  /** The refresh job refreshes access tokens that expire within this many seconds. */
  refreshAheadSeconds: number;
  /**
   * The internal API refreshes on demand a token that expires within this many seconds, so a service never
   * gets one that dies before it can use it.
   */
  handOutMinSeconds: number;
  /** Timeout of one call to a provider's token endpoint; a refresh's claim outlives it. */
  upstreamTimeoutSeconds: number;
}

export function readFederationTokensConfig(read: EnvReader): { federationTokens: FederationTokensConfig } {
  return {
    federationTokens: {
      refreshAheadSeconds: read.integer('FEDERATION_REFRESH_AHEAD_SECONDS', 300, 30, 86400),
      handOutMinSeconds: read.integer('FEDERATION_TOKEN_MIN_VALIDITY_SECONDS', 60, 0, 3600),
      upstreamTimeoutSeconds: read.integer('FEDERATION_UPSTREAM_TIMEOUT_SECONDS', 10, 1, 60),
    },
  };
}
