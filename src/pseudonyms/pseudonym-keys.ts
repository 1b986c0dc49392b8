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
