import type { SecurityEvent } from '../outbox/security-events';

/**
 * The claims of an RFC 8417 security event token for `event`, as the Shared Signals Framework 1.0 profiles
 * it: iss, aud (the receiver's audience), iat, jti (stable across retries: receivers dedupe on it, RFC 8935
 * §2), `sub_id` (RFC 9493 subject identifier) at the top level, and `events` with one member: the CAEP/RISC
 * event type and its claims (event_timestamp, and the event's own). No `sub` and no `exp` (RFC 8417 §2.2: a
 * SET is a statement of fact, not a grant; SSF §4.1.2 puts the subject in sub_id).
 *
 * The subject: the customer as `iss_sub` (issuer + CUPID, as in ID tokens' sub); for a session event a
 * `complex` subject (RFC 9493 §3.2.3 / SSF) naming the user and the session (`opaque`: the ID tokens' sid).
 */
export function securityEventTokenClaims(input: {
  issuer: string;
  audience: string;
  jti: string;
  nowSeconds: number;
  event: Pick<SecurityEvent, 'type' | 'cupid' | 'sessionId' | 'claims'> & { occurredAt: string };
}): Record<string, unknown> {
  const user = { format: 'iss_sub', iss: input.issuer, sub: input.event.cupid };
  const subject = input.event.sessionId
    ? { format: 'complex', user, session: { format: 'opaque', id: input.event.sessionId } }
    : user;
  return {
    iss: input.issuer,
    aud: input.audience,
    iat: input.nowSeconds,
    jti: input.jti,
    sub_id: subject,
    events: {
      [input.event.type]: {
        ...input.event.claims,
        event_timestamp: Math.floor(new Date(input.event.occurredAt).getTime() / 1000),
      },
    },
  };
}
