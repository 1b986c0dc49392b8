import type { OutboxMessage } from '../outbox/outbox.service';
import { securityEventMessage, SET_EVENT_TYPES } from '../outbox/security-events';
import type { SessionEndedListener, SessionEndedPayload } from './backchannel-logout.handlers';

/** CAEP session-revoked §3.1 `initiating_entity`, from who ended the session (sessions.revoked_by). */
const INITIATING_ENTITY: Record<string, string> = {
  AGENT: 'admin',
  CUSTOMER: 'user',
  // A client revoking its token (RFC 7009) or ending the session acts for the customer signing out.
  CLIENT: 'user',
  // Reuse detection, a directory disable, a revoked device: the service's own rules.
  SYSTEM: 'policy',
};

/**
 * A revoked session (not an expired one: expiry is no security event) is also a CAEP session-revoked signal
 * for Shared Signals receivers: one `security_event` message, fanned out by src/signals.
 */
export const sessionRevokedSignal: SessionEndedListener = (session: SessionEndedPayload) => {
  const messages: OutboxMessage[] =
    session.status === 'REVOKED'
      ? [
          securityEventMessage({
            type: SET_EVENT_TYPES.SESSION_REVOKED,
            cupid: session.cupid,
            sessionId: session.sid,
            occurredAt: new Date(session.endedAt),
            claims: { initiating_entity: INITIATING_ENTITY[session.endedBy] ?? 'system' },
          }),
        ]
      : [];
  return Promise.resolve(messages);
};
