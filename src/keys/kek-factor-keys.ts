import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { hmacSha256 } from '../common/crypto';
import { FactorKeys } from './factor-keys';
import type { KeyEncryptionKey } from './key-encryption-key';

/**
 * FactorKeys under the key-encryption key: one derived key per purpose, so no two uses share a key. Sealed
 * secrets are `v1 | iv(12) | tag(16) | ciphertext` under AES-256-GCM with a key derived for factor secrets;
 * the previous KEK (during a KEK change) still opens what it sealed.
 */
export class KekFactorKeys extends FactorKeys {
  constructor(private readonly kek: KeyEncryptionKey) {
    super();
  }

  derive(purpose: string): Buffer {
    return hmacSha256(this.kek.key, `ciam:factor:${purpose}:v1`);
  }

  seal(secret: Buffer, context: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.sealingKey(this.kek.key), iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(secret), cipher.final()]);
    return Buffer.concat([Buffer.from([1]), iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer, context: string): Buffer {
    if (sealed.length < 29 || sealed[0] !== 1) throw new Error('not a sealed factor secret');
    const keys = [this.kek.key, ...(this.kek.previous ? [this.kek.previous.key] : [])];
    for (const kek of keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', this.sealingKey(kek), sealed.subarray(1, 13));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(sealed.subarray(13, 29));
        return Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]);
      } catch {
        // Try the previous key-encryption key, if any.
      }
    }
    throw new Error('factor secret could not be opened (wrong key or altered)');
  }

  keyId(): string {
    return this.kek.id;
  }

  private sealingKey(kek: Buffer): Buffer {
    return hmacSha256(kek, 'ciam:factor:seal:v1');
  }
}
