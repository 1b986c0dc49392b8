/**
 * The closed list of audit event types. Every event written to audit_logs is one of these; the table in
 * docs/audit-events.md describes each. Add a type here (and there) before writing a new event.
 */
export const AUDIT_EVENT_TYPES = {
  /** The service started and checked its schema; details: version, instance. */
  SERVICE_STARTED: 'service.started',
  /** An audit partition was created ahead of time; details: partition. */
  AUDIT_PARTITION_CREATED: 'audit.partition_created',
} as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[keyof typeof AUDIT_EVENT_TYPES];
export const AUDIT_ACTOR_TYPES = ['CUSTOMER', 'AGENT', 'CLIENT', 'SYSTEM'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];
export type AuditOutcome = 'SUCCESS' | 'FAILURE';
