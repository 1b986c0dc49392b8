import { randomInt, timingSafeEqual } from 'node:crypto';
import { hmacSha256 } from '../common/crypto';

/** A 6-digit one-time code from the CSPRNG (ASVS 6.5: at least 20 bits). */
export function generateOtp(): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0');
}

/**
 * The stored form of a code: HMAC-SHA256 under a server key, bound to its journey, so a database reader
 * cannot try the million candidates offline and a code from one journey means nothing in another.
 */
export function hashOtp(key: Buffer, contextId: string, code: string): Buffer {
  return hmacSha256(key, `${contextId}:${code}`);
}

/** Constant-time check of a submitted code against the stored hash. */
export function otpMatches(key: Buffer, contextId: string, submitted: string, stored: Buffer): boolean {
  const candidate = hashOtp(key, contextId, submitted);
  return candidate.length === stored.length && timingSafeEqual(candidate, stored);
}
