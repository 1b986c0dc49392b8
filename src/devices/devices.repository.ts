import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { rowsOf } from '../database/sql';

export interface DeviceRow {
  id: string;
  name: string;
  platform: string | null;
  status: string;
  jwk_thumbprint: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  revoke_reason: string | null;
}

/** The only code that touches trusted_devices (listing and revocation; binding comes with the device step). */
@Injectable()
export class DevicesRepository {
  constructor(private readonly dataSource: DataSource) {}

  list(cupid: string, includeRevoked: boolean): Promise<DeviceRow[]> {
    return rowsOf<DeviceRow>(
      this.dataSource.manager,
      `SELECT id, name, platform, status, jwk_thumbprint, created_at, last_used_at, revoked_at, revoke_reason
         FROM trusted_devices WHERE cupid = $1 AND ($2 OR status = 'ACTIVE') ORDER BY created_at DESC LIMIT 200`,
      [cupid, includeRevoked],
    );
  }

  /** Revokes one of the customer's active devices; false when there is none by that id. */
  async revoke(manager: EntityManager, cupid: string, id: string, revocation: { at: Date; by: string; reason: string }): Promise<boolean> {
    const rows = await rowsOf<{ id: string }>(
      manager,
      `UPDATE trusted_devices SET status = 'REVOKED', revoked_at = $3, revoked_by = $4, revoke_reason = $5
        WHERE id = $2 AND cupid = $1 AND status = 'ACTIVE' RETURNING id`,
      [cupid, id, revocation.at, revocation.by, revocation.reason],
    );
    return rows.length === 1;
  }
}
