import { hkdfSync } from 'node:crypto';
import type { KeyEncryptionKey } from './key-encryption-key';

/**
 * Keys derived from the key-encryption key (key-encryption-key.ts) with HKDF (RFC 5869). KeysModule provides it
 * (kekKeyDerivation); modules inject it in their constructor. A new purpose or version needs a new `info`, never
 * new secret material.
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

/** HKDF keys of the current key-encryption key, and of the previous one during its change. */
export function kekKeyDerivation(kek: KeyEncryptionKey): KeyDerivation {
  return {
    derive: (info) => hkdfSha256(kek.key, info),
    derivePrevious: (info) => (kek.previous ? hkdfSha256(kek.previous.key, info) : null),
  };
}
