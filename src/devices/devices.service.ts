import { OutboxService } from '../outbox/outbox.service';
import { securityEventMessage, SET_EVENT_TYPES } from '../outbox/security-events';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import type { RequestOrigin } from '../common/request-origin';
import type { AuditActor as RevokedBy } from '../audit/audit-actor';
import { DeviceRow, DevicesRepository } from './devices.repository';

/** Trusted devices: listing and revocation for the customer and for support agents. */
@Injectable()
export class DevicesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly devices: DevicesRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly outbox: OutboxService,
  ) {}

  list(cupid: string, includeRevoked = false): Promise<DeviceRow[]> {
    return this.devices.list(cupid, includeRevoked);
  }

  /**
   * A revoked device can never vouch again; false when the customer has no such active device. Joins the
   * caller's transaction when given one (sessions/device-revocation.service.ts ends the device's sessions in it).
   */
  async revoke(
    cupid: string,
    deviceId: string,
    by: RevokedBy,
    reason: string,
    origin: Partial<RequestOrigin> = {},
    manager?: EntityManager,
  ): Promise<boolean> {
    const work = async (tx: EntityManager) => {
      const revoked = await this.devices.revoke(tx, cupid, deviceId, {
        at: this.clock.now(),
        by: `${by.type}:${by.id}`,
        reason,
      });
      if (revoked) {
        await this.audit.record(tx, {
          type: AUDIT_EVENT_TYPES.DEVICE_REVOKED,
          outcome: 'SUCCESS',
          actor: by,
          cupid,
          ip: origin.ip,
          userAgent: origin.userAgent,
          details: { deviceId, reason },
        });
        // Shared Signals: the device's key no longer counts (CAEP credential-change, revoke).
        await this.outbox.enqueue(tx, [
          securityEventMessage({
            type: SET_EVENT_TYPES.CREDENTIAL_CHANGE,
            cupid,
            occurredAt: this.clock.now(),
            claims: {
              change_type: 'revoke',
              credential_type: 'app',
              initiating_entity: by.type === 'AGENT' ? 'admin' : by.type === 'CUSTOMER' ? 'user' : 'policy',
            },
          }),
        ]);
      }
      return revoked;
    };
    return manager ? work(manager) : this.dataSource.transaction(work);
  }
}
