import { createHmac, hkdfSync } from 'node:crypto';
import { TEST_KEY_ENCRYPTION_KEY } from './app';

/**
 * What docs/pairwise-subjects.md defines, computed here independently of the service (node:crypto only), under
 * the test apps' key-encryption key: a spec that compares the service's values with these checks the definition.
 */
function keyOf(info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(TEST_KEY_ENCRYPTION_KEY, 'base64'), Buffer.alloc(0), info, 32));
}

/** A pairwise `sub`: HMAC-SHA256 under the version's key of sector || 0x00 || CUPID. */
export function expectedPseudonym(keyRef: string, sector: string, cupid: string): string {
  return createHmac('sha256', keyOf(`pseudonym:${keyRef}`))
    .update(`${sector}\u0000${cupid}`)
    .digest('base64url');
}

/** A pairwise client's `sid`: the first 128 bits of HMAC-SHA256 under its own key of sector || 0x00 || session id. */
export function expectedSid(sector: string, sessionId: string): string {
  return createHmac('sha256', keyOf('pairwise-sid:v1'))
    .update(`${sector}\u0000${sessionId}`)
    .digest()
    .subarray(0, 16)
    .toString('base64url');
}
