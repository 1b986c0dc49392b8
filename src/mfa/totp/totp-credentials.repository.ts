import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '../../database/sql';

export interface TotpCredential {
  id: string;
  cupid: string;
  secretSealed: Buffer;
  createdAt: Date;
  confirmedAt: Date | null;
  lastUsedStep: string | null;
  lastUsedAt: Date | null;
}

const COLUMNS = `id, cupid, secret_sealed AS "secretSealed", created_at AS "createdAt", confirmed_at AS "confirmedAt",
  last_used_step AS "lastUsedStep", last_used_at AS "lastUsedAt"`;

/** Owns totp_credentials (migration 1796092600000). */
@Injectable()
export class TotpCredentialsRepository {
  async insert(manager: EntityManager, row: { id: string; cupid: string; secretSealed: Buffer; at: Date }) {
    await manager.query(`INSERT INTO totp_credentials (id, cupid, secret_sealed, created_at) VALUES ($1, $2, $3, $4)`, [
      row.id,
      row.cupid,
      row.secretSealed,
      row.at,
    ]);
  }

  /** The customer's live credentials (unconfirmed ones included unless `confirmedOnly`). */
  async listLive(manager: EntityManager, cupid: string, confirmedOnly = false): Promise<TotpCredential[]> {
    return rowsOf<TotpCredential>(
      manager,
      `SELECT ${COLUMNS} FROM totp_credentials
        WHERE cupid = $1 AND revoked_at IS NULL AND ($2::boolean = false OR confirmed_at IS NOT NULL)
        ORDER BY created_at`,
      [cupid, confirmedOnly],
    );
  }

  async findLive(manager: EntityManager, cupid: string, id: string): Promise<TotpCredential | null> {
    const [row] = await rowsOf<TotpCredential>(
      manager,
      `SELECT ${COLUMNS} FROM totp_credentials WHERE id = $1 AND cupid = $2 AND revoked_at IS NULL`,
      [id, cupid],
    );
    return row ?? null;
  }

  /**
   * Accepts the code of time step `step` once: moves last_used_step forward only if it is behind (a conditional
   * UPDATE, so two instances checking the same code cannot both accept it). Confirms an unconfirmed credential.
   */
  async useStep(manager: EntityManager, id: string, step: number, at: Date): Promise<boolean> {
    const rows = await rowsOf<{ id: string }>(
      manager,
      `UPDATE totp_credentials SET last_used_step = $2, last_used_at = $3, confirmed_at = COALESCE(confirmed_at, $3)
        WHERE id = $1 AND revoked_at IS NULL AND (last_used_step IS NULL OR last_used_step < $2) RETURNING id`,
      [id, step, at],
    );
    return rows.length > 0;
  }

  /** Revokes one credential (or all of the customer's with id null); the ids revoked. */
  async revoke(manager: EntityManager, cupid: string, id: string | null, at: Date): Promise<string[]> {
    const rows = await rowsOf<{ id: string }>(
      manager,
      `UPDATE totp_credentials SET revoked_at = $3
        WHERE cupid = $1 AND ($2::uuid IS NULL OR id = $2) AND revoked_at IS NULL RETURNING id`,
      [cupid, id, at],
    );
    return rows.map((row) => row.id);
  }
}
