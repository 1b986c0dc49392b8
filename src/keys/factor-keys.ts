/**
 * Server keys for factor secrets (issue 17) and other sealed or keyed values, derived from the key-encryption key
 * (key-encryption-key.ts). KeysModule provides it (KekFactorKeys); modules inject it in their constructor. An
 * abstract class, so that it is the injection token and a unit spec can hand in its own.
 */
export abstract class FactorKeys {
  /** A key for one purpose, derived from the key-encryption key (HMAC of codes, of addresses). */
  abstract derive(purpose: string): Buffer;
  /** Seals a secret at rest (AES-256-GCM); `context` is bound as associated data (e.g. the credential's id). */
  abstract seal(secret: Buffer, context: string): Buffer;
  /** Opens what `seal` made under the same context; throws when it was altered or sealed for another. */
  abstract open(sealed: Buffer, context: string): Buffer;
  /**
   * The id of the key-encryption key `seal` uses now, stored beside what it seals (federation tokens'
   * key_id) so that a KEK rotation shows which rows are still sealed under the previous key.
   */
  abstract keyId(): string;
}
