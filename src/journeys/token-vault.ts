import { hmacSha256, open, seal, sha256 } from '../common/crypto';
import { ApiError } from '../common/problem';

/**
 * What must survive a retry with the same transaction token (the answer given when it was spent, what a
 * send step is about to send) is sealed with AES-256-GCM under a key derived from the token itself, as
 * the refresh grace does: the database keeps only the token's SHA-256, so a reader of the database (or
 * a backup) can open none of it, and only the holder of the token can get it back.
 */
export class TokenVault {
  private readonly key: Buffer;

  constructor(transactionToken: string) {
    this.key = hmacSha256(transactionToken, 'ciam:journey-token-vault:v1');
  }

  /** `purpose` and the row id are bound in as associated data: a sealed value opens only where it was made. */
  seal(purpose: string, rowId: string, value: unknown): Buffer {
    return seal(hmacSha256(this.key, purpose), Buffer.from(JSON.stringify(value)), `${purpose}:${rowId}`);
  }

  /** null when the key, the purpose, the row or the bytes do not match (e.g. a different request body). */
  open<T>(purpose: string, rowId: string, sealed: Buffer | null): T | null {
    if (!sealed) return null;
    try {
      return JSON.parse(open(hmacSha256(this.key, purpose), sealed, `${purpose}:${rowId}`).toString('utf8')) as T;
    } catch {
      return null;
    }
  }
}

/**
 * Names one request to a step: a retry replays the stored answer only for the same step, action and
 * body. A hash, so the body (a password) is never kept, and it only ever feeds the associated data.
 */
export function requestDigest(step: string, action: string, input: unknown): string {
  return sha256(JSON.stringify({ step, action, input })).toString('hex');
}

/** The answer given when a token was spent, as stored for a retry. */
export type StoredAnswer<View> =
  | { view: View }
  | {
      error: {
        status: number;
        code: string;
        title: string;
        detail?: string;
        extensions: Record<string, unknown>;
        retryAfterSeconds?: number;
        headers: Record<string, string>;
      };
    };

export function toStoredAnswer<View>(settled: { view: View } | { error: ApiError }): StoredAnswer<View> {
  if ('view' in settled) return { view: settled.view };
  const { status, code, title, detail, extensions, retryAfterSeconds, headers } = settled.error;
  return { error: { status, code, title, detail, extensions, retryAfterSeconds, headers } };
}

export function fromStoredAnswer<View>(stored: StoredAnswer<View>): { view: View } | { error: ApiError } {
  if ('view' in stored) return { view: stored.view };
  const { status, code, title, detail, extensions, retryAfterSeconds, headers } = stored.error;
  return { error: new ApiError(status, code, title, detail, extensions, retryAfterSeconds ?? undefined, headers) };
}
