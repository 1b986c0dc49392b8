import { Injectable, OnModuleInit } from '@nestjs/common';
import { CustomerFactors } from '../common/customer-factors';
import type { CustomerFactorSource, CustomerFactorSummary } from '../common/customer-factors';
import { DevicesService } from '../devices/devices.service';
import { DeviceRevocationService } from './device-revocation.service';
import type { RevokedBy } from './sessions.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Bound devices as a customer factor ('device'): the key of a trusted device proves possession (and approves
 * pushes). Registered here rather than in src/devices because revoking one also ends the sessions it vouched
 * for (DeviceRevocationService), which the devices module cannot reach.
 */
@Injectable()
export class DeviceFactorSource implements CustomerFactorSource, OnModuleInit {
  readonly kind = 'device';

  constructor(
    private readonly factors: CustomerFactors,
    private readonly devices: DevicesService,
    private readonly revocation: DeviceRevocationService,
  ) {}

  onModuleInit(): void {
    this.factors.register(this);
  }

  async list(cupid: string): Promise<CustomerFactorSummary[]> {
    return (await this.devices.list(cupid)).map((device) => ({
      kind: this.kind,
      id: device.id,
      label: device.platform ? `${device.name} (${device.platform})` : device.name,
      createdAt: device.created_at,
      lastUsedAt: device.last_used_at,
      revocable: true,
    }));
  }

  revoke(
    cupid: string,
    id: string,
    actor: { type: 'customer' | 'agent'; id: string },
    reason?: string,
  ): Promise<boolean> {
    // Device ids are UUIDs; anything else names no device (and must not reach a uuid column as a 500).
    if (!UUID.test(id)) return Promise.resolve(false);
    return this.revocation.revoke(cupid, id, auditActor(actor), reason ?? defaultReason(actor));
  }

  async revokeAll(cupid: string, actor: { type: 'customer' | 'agent'; id: string }, reason?: string): Promise<number> {
    let revoked = 0;
    for (const device of await this.devices.list(cupid)) {
      if (await this.revoke(cupid, device.id, actor, reason)) revoked += 1;
    }
    return revoked;
  }
}

function auditActor(actor: { type: 'customer' | 'agent'; id: string }): RevokedBy {
  return { type: actor.type === 'agent' ? 'AGENT' : 'CUSTOMER', id: actor.id };
}

function defaultReason(actor: { type: 'customer' | 'agent' }): string {
  return actor.type === 'agent' ? 'removed by support' : 'removed by the customer';
}
