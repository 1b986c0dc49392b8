import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import type { AuditActorType } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { deliveryUrlProblem } from '../outbox/delivery-url';
import { ALL_SET_EVENT_TYPES } from '../outbox/security-events';
import { SetReceiver, SetReceiversRepository } from './set-receivers.repository';

export class InvalidSetReceiverError extends Error {}

export interface SetReceiverRegistration {
  name: string;
  endpointUrl: string;
  audience: string;
  eventTypes: string[];
}

/** Registers and lists Shared Signals receivers (CLI signals:*, the admin API), each change audited. */
@Injectable()
export class SignalsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly receivers: SetReceiversRepository,
    private readonly audit: AuditService,
  ) {}

  async register(
    registration: SetReceiverRegistration,
    by: { type: AuditActorType; id: string },
  ): Promise<SetReceiver> {
    const problems: string[] = [];
    const name = registration.name?.trim() ?? '';
    if (name.length < 1 || name.length > 128) problems.push('name: 1 to 128 characters');
    const urlProblem = deliveryUrlProblem(registration.endpointUrl ?? '', this.config.nodeEnv);
    if (urlProblem) problems.push(`endpoint URL ${urlProblem}`);
    if (!registration.audience || registration.audience.length > 512) problems.push('audience: 1 to 512 characters');
    const types = [...new Set(registration.eventTypes ?? [])];
    if (types.length === 0) problems.push('at least one event type');
    for (const type of types)
      if (!(ALL_SET_EVENT_TYPES as string[]).includes(type)) problems.push(`unsupported event type "${type}"`);
    if (problems.length > 0) throw new InvalidSetReceiverError(problems.join('; '));
    return this.dataSource.transaction(async (tx) => {
      const receiver = await this.receivers.insert(tx, { ...registration, name, eventTypes: types });
      await this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.SET_RECEIVER_REGISTERED,
        outcome: 'SUCCESS',
        actor: by,
        details: {
          receiverId: receiver.id,
          name: receiver.name,
          endpointUrl: receiver.endpointUrl,
          audience: receiver.audience,
          eventTypes: receiver.eventTypes,
        },
      });
      return receiver;
    });
  }

  /** False when no active receiver has that id. */
  async deactivate(id: string, by: { type: AuditActorType; id: string }): Promise<boolean> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return false;
    return this.dataSource.transaction(async (tx) => {
      const receiver = await this.receivers.deactivate(tx, id);
      if (!receiver) return false;
      await this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.SET_RECEIVER_DEACTIVATED,
        outcome: 'SUCCESS',
        actor: by,
        details: { receiverId: receiver.id, name: receiver.name },
      });
      return true;
    });
  }

  list(): Promise<SetReceiver[]> {
    return this.receivers.list();
  }
}
