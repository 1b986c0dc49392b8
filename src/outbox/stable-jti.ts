import { createHash } from 'node:crypto';
import type { OutboxDelivery } from './outbox.service';

/**
 * A JWT id for what one outbox message delivers (a logout token, a SET): the same for every attempt, so a
 * receiver that got it once recognises a redelivery (delivery is at least once), and unique across messages
 * and issuers. Derived, not stored: nothing to keep in the row.
 */
export function stableJti(issuer: string, message: Pick<OutboxDelivery, 'id' | 'createdAt'>): string {
  return createHash('sha256')
    .update(`${issuer}\u0000outbox\u0000${message.id}\u0000${message.createdAt.toISOString()}`)
    .digest('base64url')
    .slice(0, 32);
}
