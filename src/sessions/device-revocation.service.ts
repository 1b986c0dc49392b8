import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { RequestOrigin } from '../common/request-origin';
import { retryTransaction } from '../database/retry-transaction';
import { DevicesService } from '../devices/devices.service';
import { RevokedBy, SessionsService } from './sessions.service';

/**
 * Revoking a trusted device ends what it vouched for: the device, then every session it opened or was
 * bound in (sessions.trusted_device_id), in one transaction with their audit events. The sessions' tokens
 * stop working with their sessions. Lock order: the device row, then session rows, never tokens.
 */
@Injectable()
export class DeviceRevocationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly devices: DevicesService,
    private readonly sessions: SessionsService,
  ) {}

  /** False when the customer has no such active device (nothing changes then). */
  revoke(
    cupid: string,
    deviceId: string,
    by: RevokedBy,
    reason: string,
    origin: Partial<RequestOrigin> = {},
  ): Promise<boolean> {
    return retryTransaction(this.dataSource, async (tx) => {
      if (!(await this.devices.revoke(cupid, deviceId, by, reason, origin, tx))) return false;
      await this.sessions.revokeForDevice(tx, deviceId, by, `device revoked: ${reason}`, origin);
      return true;
    });
  }
}
