import { hmacSha256 } from '../common/crypto';

/** OpenID Connect Core §8.1: the info a version's key is derived with (HKDF from the key-encryption key). */
export const pseudonymKeyInfo = (keyRef: string): string => `pseudonym:${keyRef}`;

/**
 * 'hmac-sha256': base64url(HMAC-SHA256(key_v, sector || 0x00 || cupid)). The separator keeps (sector, cupid)
 * pairs apart ('a' + 'bc' vs 'ab' + 'c'); without the key (derived from the KEK) the pseudonym is neither
 * computable nor reversible, and across sectors the pseudonyms of one customer are unlinkable.
 */
export function computePseudonym(key: Buffer, sector: string, cupid: string): string {
  return hmacSha256(
    key,
    Buffer.concat([Buffer.from(sector, 'utf8'), Buffer.from([0]), Buffer.from(cupid, 'utf8')]),
  ).toString('base64url');
}

/**
 * The info of the key of pairwise clients' `sid` (HKDF from the key-encryption key, like the pseudonyms' keys, under
 * its own label). Not one per pseudonym version: a session lives hours, and a version change must not change the
 * sid of a live session under its relying parties (their logout tokens would name a session they never saw).
 */
export const PAIRWISE_SID_KEY_INFO = 'pairwise-sid:v1';

/**
 * A pairwise client's `sid`: base64url of the first 128 bits of HMAC-SHA256(key, sector || 0x00 || session id), 22
 * characters. Per sector, as `sub` is (OIDC Core §8.1): two sectors' sids of one session are unlinkable, the apps of
 * one sector (which share the sub already) share it. One-way: a relying party cannot recover the session id, and
 * 128 bits leave no collision among one customer's sessions to fear.
 */
export function computePairwiseSid(key: Buffer, sector: string, sessionId: string): string {
  return hmacSha256(key, Buffer.concat([Buffer.from(sector, 'utf8'), Buffer.from([0]), Buffer.from(sessionId, 'utf8')]))
    .subarray(0, 16)
    .toString('base64url');
}
