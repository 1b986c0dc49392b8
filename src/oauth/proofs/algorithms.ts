import type { JWK } from 'jose';

/**
 * The JWS algorithms accepted for client assertions (RFC 7523) and DPoP proofs (RFC 9449): asymmetric only.
 * A symmetric alg (HS256) would need a shared secret, and `none` proves nothing (RFC 9449 §4.3 item 5).
 */
export const PROOF_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const;

export function isProofAlgorithm(alg: unknown): alg is (typeof PROOF_ALGORITHMS)[number] {
  return typeof alg === 'string' && (PROOF_ALGORITHMS as readonly string[]).includes(alg);
}

/** JWK members that only a private (or symmetric) key has: such a key must never be accepted as a public one. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** A public asymmetric key (EC, RSA, OKP), nothing private in it. */
export function isPublicAsymmetricKey(jwk: unknown): jwk is JWK {
  if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk)) return false;
  const key = jwk as Record<string, unknown>;
  if (!['EC', 'RSA', 'OKP'].includes(key.kty as string)) return false;
  return PRIVATE_MEMBERS.every((member) => !(member in key));
}
