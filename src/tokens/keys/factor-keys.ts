import { hmacSha256 } from '../../common/crypto';
import { FactorKeys } from '../../common/factor-keys';
import type { KeyEncryptionKey } from './key-encryption-key';

/** FactorKeys under the key-encryption key: one derived key per purpose, so no two uses share a key. */
export class KekFactorKeys extends FactorKeys {
  constructor(private readonly kek: KeyEncryptionKey) {
    super();
  }

  derive(purpose: string): Buffer {
    return hmacSha256(this.kek.key, `ciam:factor:${purpose}:v1`);
  }
}
