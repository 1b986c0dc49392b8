import type { AuditActorType } from './audit-events';

/**
 * Who did something, as the audit trail records it: an event's actor, a revocation's `revoked_by`. It lives
 * in audit (the sink every module may import) so that devices and sessions share it without importing each
 * other (sessions depend on devices, never the reverse).
 */
export interface AuditActor {
  type: AuditActorType;
  id: string;
}
