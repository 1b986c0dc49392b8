import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks (https://www.standardwebhooks.com, spec "Verifying webhook authenticity"): the signed
 * content is `${webhook-id}.${webhook-timestamp}.${body}`, the signature HMAC-SHA256 with the secret's bytes
 * (base64 after the `whsec_` prefix), sent as `webhook-signature: v1,<base64>` (several space-separated when a
 * secret is being rotated). A receiver recomputes it, compares in constant time, refuses a timestamp outside
 * its tolerance (replays of old deliveries) and remembers the ids it processed (replays inside the window).
 */
export const SECRET_PREFIX = 'whsec_';

/** A new secret: 32 random bytes, in the Standard Webhooks text form. */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

function secretBytes(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
}

export function webhookSignature(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secretBytes(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The headers of one delivery attempt (the timestamp is the attempt's: a retry is signed afresh). */
export function webhookHeaders(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string,
): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': webhookSignature(secret, id, timestampSeconds, body),
  };
}

/**
 * What a receiver does (also used by the tests, and shown in README "Webhooks"): true only when one of the
 * header's v1 signatures matches and the timestamp is within `toleranceSeconds` of `nowSeconds`. Deduplicating
 * by webhook-id is the receiver's part (delivery is at least once).
 */
export function verifyWebhook(
  secret: string,
  headers: { id?: string; timestamp?: string; signature?: string },
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(webhookSignature(secret, id, Number(timestamp), body));
  return signature.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
