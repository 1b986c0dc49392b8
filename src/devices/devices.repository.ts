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

/** The only code that touches trusted_devices: binding, proofs, listing and revocation. */
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
  async revoke(
    manager: EntityManager,
    cupid: string,
    id: string,
    revocation: { at: Date; by: string; reason: string },
  ): Promise<boolean> {
    const rows = await rowsOf<{ id: string }>(
      manager,
      `UPDATE trusted_devices SET status = 'REVOKED', revoked_at = $3, revoked_by = $4, revoke_reason = $5
        WHERE id = $2 AND cupid = $1 AND status = 'ACTIVE' RETURNING id`,
      [cupid, id, revocation.at, revocation.by, revocation.reason],
    );
    return rows.length === 1;
  }

  /** A device by its key's thumbprint, whatever its status (a revoked key stays taken for ever). */
  async findByThumbprint(manager: EntityManager, thumbprint: string): Promise<BoundDevice | null> {
    const [row] = await rowsOf<BoundDeviceRow>(
      manager,
      `SELECT ${BOUND_COLUMNS} FROM trusted_devices WHERE jwk_thumbprint = $1`,
      [thumbprint],
    );
    return row ? toBound(row) : null;
  }

  async findById(manager: EntityManager, id: string): Promise<BoundDevice | null> {
    const [row] = await rowsOf<BoundDeviceRow>(manager, `SELECT ${BOUND_COLUMNS} FROM trusted_devices WHERE id = $1`, [
      id,
    ]);
    return row ? toBound(row) : null;
  }

  /** The customer's active devices that can receive a push: only those bound after a second factor (policy.ts, deviceActsAsFactor). */
  async pushable(manager: EntityManager, cupid: string): Promise<BoundDevice[]> {
    const rows = await rowsOf<BoundDeviceRow>(
      manager,
      `SELECT ${BOUND_COLUMNS} FROM trusted_devices WHERE cupid = $1 AND status = 'ACTIVE' AND bound_with_mfa AND push_address IS NOT NULL
        ORDER BY last_used_at DESC NULLS LAST LIMIT 10`,
      [cupid],
    );
    return rows.map(toBound);
  }

  /** A new binding; `mfaAt` is the journey's second factor, which alone makes the device count as a factor (bound_with_mfa). */
  async insert(
    manager: EntityManager,
    device: {
      cupid: string;
      publicKeyJwk: Record<string, unknown>;
      thumbprint: string;
      name: string;
      platform: string | null;
      pushAddress: string | null;
      contextId: string;
      at: Date;
      mfaAt: Date | null;
    },
  ): Promise<string> {
    const [row] = await rowsOf<{ id: string }>(
      manager,
      `INSERT INTO trusted_devices (cupid, public_key_jwk, jwk_thumbprint, name, platform, push_address, bound_context_id, created_at, last_used_at, last_mfa_at, bound_with_mfa)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9::timestamptz, $9::timestamptz IS NOT NULL) RETURNING id`,
      [
        device.cupid,
        JSON.stringify(device.publicKeyJwk),
        device.thumbprint,
        device.name,
        device.platform,
        device.pushAddress,
        device.contextId,
        device.at,
        device.mfaAt,
      ],
    );
    return row.id;
  }

  /** The same customer binds the same key again: its name and push address are refreshed; a second factor now makes it count. */
  async rebind(
    manager: EntityManager,
    id: string,
    device: {
      name: string;
      platform: string | null;
      pushAddress: string | null;
      contextId: string;
      at: Date;
      mfaAt: Date | null;
    },
  ): Promise<void> {
    await manager.query(
      `UPDATE trusted_devices SET name = $2, platform = $3, push_address = $4, bound_context_id = $5, last_used_at = $6, last_mfa_at = COALESCE($7, last_mfa_at),
              bound_with_mfa = bound_with_mfa OR $7::timestamptz IS NOT NULL
        WHERE id = $1 AND status = 'ACTIVE'`,
      [id, device.name, device.platform, device.pushAddress, device.contextId, device.at, device.mfaAt],
    );
  }

  /** The customer passed a full second factor on this device (their own, active one). */
  async recordMfa(manager: EntityManager, cupid: string, thumbprint: string, at: Date): Promise<void> {
    await manager.query(
      `UPDATE trusted_devices SET last_mfa_at = $3 WHERE jwk_thumbprint = $2 AND cupid = $1 AND status = 'ACTIVE'`,
      [cupid, thumbprint, at],
    );
  }

  async touch(manager: EntityManager, id: string, at: Date): Promise<void> {
    await manager.query(`UPDATE trusted_devices SET last_used_at = $2 WHERE id = $1`, [id, at]);
  }
}

export interface BoundDevice {
  id: string;
  cupid: string;
  createdAt: Date;
  lastMfaAt: Date | null;
  status: 'ACTIVE' | 'REVOKED';
  publicKeyJwk: Record<string, unknown>;
  thumbprint: string;
  name: string;
  pushAddress: string | null;
  /** Bound in a journey that passed a second factor: only then does it count as a factor. */
  boundWithMfa: boolean;
}

interface BoundDeviceRow {
  id: string;
  cupid: string;
  created_at: Date;
  last_mfa_at: Date | null;
  status: 'ACTIVE' | 'REVOKED';
  public_key_jwk: Record<string, unknown>;
  jwk_thumbprint: string;
  name: string;
  push_address: string | null;
  bound_with_mfa: boolean;
}

const BOUND_COLUMNS =
  'id, cupid, status, public_key_jwk, jwk_thumbprint, name, push_address, created_at, last_mfa_at, bound_with_mfa';

const toBound = (row: BoundDeviceRow): BoundDevice => ({
  id: row.id,
  cupid: row.cupid,
  createdAt: row.created_at,
  lastMfaAt: row.last_mfa_at,
  status: row.status,
  publicKeyJwk: row.public_key_jwk,
  thumbprint: row.jwk_thumbprint,
  name: row.name,
  pushAddress: row.push_address,
  boundWithMfa: row.bound_with_mfa,
});
