/**
 * Server keys for factor secrets (issue 17), as a port: factor modules (src/mfa) sit below the tokens module
 * that holds the key-encryption key (src/tokens/keys/key-encryption-key.ts) and may not import it, so the tokens
 * module provides this and the factors find it at run time (like CustomerTokenVerifier).
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
