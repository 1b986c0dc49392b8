import type { OutboxMessage } from './outbox.service';

/**
 * The security events the service emits as Shared Signals (issue 19 item 3): OpenID CAEP 1.0 and RISC 1.0
 * event types, carried in RFC 8417 SETs to registered receivers (src/signals). Where an event happens, one
 * `security_event` outbox message is enqueued in the transaction of the change (this module is the low layer
 * every domain may use); src/signals fans it out to the receivers that asked for its type, after the commit.
 */
export const SET_EVENT_TYPES = {
  /** CAEP §3.1: a session of the customer was revoked (agent, customer, reuse detection, directory, device). */
  SESSION_REVOKED: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
  /**
   * CAEP §3.3: a credential was created, revoked or updated: a device key bound or revoked; an agent lifting an
   * MFA lock (the "MFA reset": the customer's one-time-code factor is usable again; CAEP has no closer type,
   * and RISC's recovery events describe account recovery, not this).
   */
  CREDENTIAL_CHANGE: 'https://schemas.openid.net/secevent/caep/event-type/credential-change',
  /** RISC §2.3: the directory says the customer is disabled (found at a refresh). */
  ACCOUNT_DISABLED: 'https://schemas.openid.net/secevent/risc/event-type/account-disabled',
  /** RISC §2.5: the customer is no longer in the directory (found at a refresh). */
  ACCOUNT_PURGED: 'https://schemas.openid.net/secevent/risc/event-type/account-purged',
} as const;
export type SetEventType = (typeof SET_EVENT_TYPES)[keyof typeof SET_EVENT_TYPES];
export const ALL_SET_EVENT_TYPES = Object.values(SET_EVENT_TYPES) as SetEventType[];

export const SECURITY_EVENT_CHANNEL = 'security_event';

export interface SecurityEvent {
  type: SetEventType;
  cupid: string;
  /** The session concerned (session-revoked): the SET's subject names it too. */
  sessionId?: string | null;
  occurredAt: Date;
  /**
   * The event's own claims (CAEP/RISC): e.g. initiating_entity (admin, user, policy, system), change_type
   * (create, revoke, update, delete), credential_type (app, phone-sms, ...), reason_admin as {en: text}. No
   * personal data beyond the CUPID, never a secret.
   */
  claims?: Record<string, unknown>;
}

/** The outbox message announcing `event`, to enqueue in the transaction of the change. */
export function securityEventMessage(event: SecurityEvent): OutboxMessage {
  return {
    channel: SECURITY_EVENT_CHANNEL,
    destination: event.cupid,
    orderingKey: null,
    payload: {
      type: event.type,
      cupid: event.cupid,
      sessionId: event.sessionId ?? null,
      occurredAt: event.occurredAt.toISOString(),
      claims: event.claims ?? {},
    },
  };
}
