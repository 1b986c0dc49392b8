import { isUtf8 } from 'node:buffer';

/**
 * Checks for input that PostgreSQL cannot store faithfully: U+0000 (text cannot hold it), bytes that are
 * not UTF-8 (Node would turn them into U+FFFD, so what is stored is not what was sent) and lone UTF-16
 * surrogates (a JSON "\ud800" escape; no UTF-8 encoding exists for them).
 */

const HEX = /^[0-9A-Fa-f]{2}$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when the bytes are UTF-8 without a NUL. */
export function isCleanBytes(bytes: Buffer): boolean {
  return !bytes.includes(0) && isUtf8(bytes);
}

/** The bytes that percent-encoded text stands for (RFC 3986 §2.1); malformed escapes are kept as they are. */
export function percentDecoded(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i += 1) {
    if (bytes[i] === 0x25 && i + 2 < bytes.length && HEX.test(bytes.toString('latin1', i + 1, i + 3))) {
      out[length++] = Number.parseInt(bytes.toString('latin1', i + 1, i + 3), 16);
      i += 2;
    } else {
      out[length++] = bytes[i];
    }
  }
  return out.subarray(0, length);
}

/** Raw and percent-decoded forms both clean: for URLs and form bodies, where `%00` and `%FF` hide. */
export function isCleanPercentEncoded(bytes: Buffer): boolean {
  // Without a '%' the decoded bytes are the raw ones (most URLs): no second pass.
  return isCleanBytes(bytes) && (!bytes.includes(0x25) || isCleanBytes(percentDecoded(bytes)));
}

/** Printable ASCII and tab only: clean without looking at bytes (most header values and URLs). */
const PLAIN_ASCII = /^[\t\x20-\x7e]*$/;

/** The raw request target, as Node decoded it (latin1): clean raw and percent-decoded. */
export function isCleanUrl(url: string): boolean {
  return (PLAIN_ASCII.test(url) && !url.includes('%')) || isCleanPercentEncoded(Buffer.from(url, 'latin1'));
}

/** A string Node decoded as latin1 (a header value, the raw URL) whose bytes are UTF-8 without a NUL. */
export function isCleanLatin1(value: string): boolean {
  return PLAIN_ASCII.test(value) || isCleanBytes(Buffer.from(value, 'latin1'));
}

/** A string (already decoded, e.g. from JSON) that can be stored as it is. */
export function isCleanString(value: string): boolean {
  return !value.includes('\u0000') && !LONE_SURROGATE.test(value);
}

/**
 * Every string in a parsed value (keys too), at any depth, is clean. Iterative: a hostile body nests
 * thousands of levels deep, and a depth cap would leave a NUL below it unchecked.
 */
export function isCleanValue(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'string') {
      if (!isCleanString(next)) return false;
    } else if (Array.isArray(next)) {
      pending.push(...next);
    } else if (next !== null && typeof next === 'object') {
      for (const [key, inner] of Object.entries(next as Record<string, unknown>)) {
        if (!isCleanString(key)) return false;
        pending.push(inner);
      }
    }
  }
  return true;
}
