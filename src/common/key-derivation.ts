import { hkdfSync } from 'node:crypto';

/**
 * Keys derived from the key-encryption key with HKDF (RFC 5869), as a port: modules below the tokens module
 * (which holds the key-encryption key, src/tokens/keys/key-encryption-key.ts) may not import it, so the tokens
 * module provides this and they find it at run time (like FactorKeys). A new purpose or version needs a new
 * `info`, never new secret material.
 */
export abstract class KeyDerivation {
  /** 32 bytes for `info` (e.g. 'pseudonym:' + a key reference). */
  abstract derive(info: string): Buffer;
  /**
   * The same under KEY_ENCRYPTION_KEY_PREVIOUS while a change of the key-encryption key keeps it, else null: for a
   * value derived and handed out before the change that must still be recognised (a pairwise client's sid).
   */
  abstract derivePrevious(info: string): Buffer | null;
}

/** HKDF-SHA256 of `ikm` with an empty salt (the KEK is already uniformly random) and `info`: 32 bytes. */
export function hkdfSha256(ikm: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), Buffer.from(info, 'utf8'), 32));
}
