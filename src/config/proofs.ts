import type { EnvReader } from './env-reader';

/** Proof-of-possession at the token endpoint (issue 16): private_key_jwt (RFC 7523) and DPoP (RFC 9449). */
export interface ProofsConfig {
  /** Timeout of one fetch of a client's jwks_uri. */
  clientJwksTimeoutMs: number;
  /** How long a client's fetched JWKS is used before it is fetched again (an unknown kid refetches sooner). */
  clientJwksCacheSeconds: number;
  /** RFC 9449 §8: every DPoP proof must carry a server nonce (also required per client by dpop_bound_access_tokens). */
  dpopNonceRequired: boolean;
  /** How long a server nonce stays acceptable (two consecutive windows of this length are accepted). */
  dpopNonceWindowSeconds: number;
}

export function readProofsConfig(read: EnvReader): { proofs: ProofsConfig } {
  return {
    proofs: {
      clientJwksTimeoutMs: read.integer('CLIENT_JWKS_TIMEOUT_MS', 3000, 100, 30000),
      clientJwksCacheSeconds: read.integer('CLIENT_JWKS_CACHE_SECONDS', 300, 0, 86400),
      dpopNonceRequired: read.boolean('DPOP_NONCE_REQUIRED', false),
      dpopNonceWindowSeconds: read.integer('DPOP_NONCE_WINDOW_SECONDS', 60, 10, 3600),
    },
  };
}
