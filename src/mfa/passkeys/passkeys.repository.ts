import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { rowsOf } from '../../database/sql';

/** A registered passkey, as the ceremonies need it (the public key is not a secret). */
export interface PasskeyCredential {
  id: string;
  cupid: string;
  /** The authenticator's credential id, base64url. */
  credentialId: string;
  publicKey: Buffer;
  signCount: number;
  transports: string[];
  backupEligible: boolean;
  backupState: boolean;
  aaguid: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

interface CredentialRow {
  id: string;
  cupid: string;
  credential_id: string;
  public_key: Buffer;
  sign_count: string;
  transports: string[];
  backup_eligible: boolean;
  backup_state: boolean;
  aaguid: string;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS = `id, cupid, credential_id, public_key, sign_count, transports, backup_eligible, backup_state, aaguid, name,
  created_at, last_used_at, revoked_at`;

function toCredential(row: CredentialRow): PasskeyCredential {
  return {
    id: row.id,
    cupid: row.cupid,
    credentialId: row.credential_id,
    publicKey: row.public_key,
    signCount: Number(row.sign_count),
    transports: row.transports,
    backupEligible: row.backup_eligible,
    backupState: row.backup_state,
    aaguid: row.aaguid,
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

export type NewPasskey = Omit<PasskeyCredential, 'id' | 'lastUsedAt' | 'revokedAt'>;

/** The only code that touches passkey_credentials and passkey_registrations. */
@Injectable()
export class PasskeysRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Stores a new credential; null when its credential id is registered already (to anyone, revoked or not). */
  async insert(manager: EntityManager, passkey: NewPasskey): Promise<string | null> {
    const rows = await rowsOf<{ id: string }>(
      manager,
      `INSERT INTO passkey_credentials (cupid, credential_id, public_key, sign_count, transports, backup_eligible,
              backup_state, aaguid, name, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (credential_id) DO NOTHING RETURNING id`,
      [
        passkey.cupid,
        passkey.credentialId,
        passkey.publicKey,
        passkey.signCount,
        passkey.transports,
        passkey.backupEligible,
        passkey.backupState,
        passkey.aaguid,
        passkey.name,
        passkey.createdAt,
      ],
    );
    return rows[0]?.id ?? null;
  }

  /** A credential by the authenticator's id, whatever its status. */
  async findByCredentialId(manager: EntityManager, credentialId: string): Promise<PasskeyCredential | null> {
    const [row] = await rowsOf<CredentialRow>(
      manager,
      `SELECT ${COLUMNS} FROM passkey_credentials WHERE credential_id = $1`,
      [credentialId],
    );
    return row ? toCredential(row) : null;
  }

  /** The customer's passkeys that are not revoked, newest first. */
  async listActive(cupid: string, manager: EntityManager = this.dataSource.manager): Promise<PasskeyCredential[]> {
    const rows = await rowsOf<CredentialRow>(
      manager,
      `SELECT ${COLUMNS} FROM passkey_credentials WHERE cupid = $1 AND revoked_at IS NULL
        ORDER BY created_at DESC LIMIT 100`,
      [cupid],
    );
    return rows.map(toCredential);
  }

  async hasActive(manager: EntityManager, cupid: string): Promise<boolean> {
    const rows = await rowsOf<{ one: number }>(
      manager,
      `SELECT 1 AS one FROM passkey_credentials WHERE cupid = $1 AND revoked_at IS NULL LIMIT 1`,
      [cupid],
    );
    return rows.length > 0;
  }

  /**
   * Records a verified use: the new counter and backup state, only if the row is still live and its counter is
   * still the one the check read (a concurrent use or a revocation in between wins: false, refused).
   */
  async recordUse(
    manager: EntityManager,
    id: string,
    use: { expectedCount: number; newCount: number; backupState: boolean; at: Date },
  ): Promise<boolean> {
    const rows = await rowsOf<{ id: string }>(
      manager,
      `UPDATE passkey_credentials SET sign_count = $3, backup_state = $4, last_used_at = $5
        WHERE id = $1 AND revoked_at IS NULL AND sign_count = $2 RETURNING id`,
      [id, use.expectedCount, use.newCount, use.backupState, use.at],
    );
    return rows.length === 1;
  }

  /** Revokes one of the customer's live passkeys; false when there is none by that id. */
  async revoke(
    manager: EntityManager,
    cupid: string,
    id: string,
    revocation: { at: Date; by: string; reason: string },
  ): Promise<boolean> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return false;
    const rows = await rowsOf<{ id: string }>(
      manager,
      `UPDATE passkey_credentials SET revoked_at = $3, revoked_by = $4, revoke_reason = $5
        WHERE id = $2 AND cupid = $1 AND revoked_at IS NULL RETURNING id`,
      [cupid, id, revocation.at, revocation.by, revocation.reason],
    );
    return rows.length === 1;
  }

  /** Revokes every live passkey of the customer; the ids revoked. */
  async revokeAll(
    manager: EntityManager,
    cupid: string,
    revocation: { at: Date; by: string; reason: string },
  ): Promise<string[]> {
    const rows = await rowsOf<{ id: string }>(
      manager,
      `UPDATE passkey_credentials SET revoked_at = $2, revoked_by = $3, revoke_reason = $4
        WHERE cupid = $1 AND revoked_at IS NULL RETURNING id`,
      [cupid, revocation.at, revocation.by, revocation.reason],
    );
    return rows.map((row) => row.id);
  }

  /** A registration challenge, kept only as its hash, bound to the customer and the session that asked. */
  async insertChallenge(
    manager: EntityManager,
    challenge: { hash: Buffer; cupid: string; sessionId: string; createdAt: Date; expiresAt: Date },
  ): Promise<void> {
    await rowsOf(
      manager,
      `INSERT INTO passkey_registrations (challenge_hash, cupid, session_id, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [challenge.hash, challenge.cupid, challenge.sessionId, challenge.createdAt, challenge.expiresAt],
    );
  }

  /**
   * Spends a registration challenge: one conditional UPDATE, so of two concurrent uses exactly one gets the row
   * (single use under concurrency). False when unknown, spent, expired, or another customer's or session's.
   */
  async spendChallenge(
    manager: EntityManager,
    challenge: { hash: Buffer; cupid: string; sessionId: string; now: Date },
  ): Promise<boolean> {
    const rows = await rowsOf<{ used_at: Date }>(
      manager,
      `UPDATE passkey_registrations SET used_at = $4
        WHERE challenge_hash = $1 AND cupid = $2 AND session_id = $3 AND used_at IS NULL AND expires_at > $4
        RETURNING used_at`,
      [challenge.hash, challenge.cupid, challenge.sessionId, challenge.now],
    );
    return rows.length === 1;
  }

  /** Purge: registration challenges past their expiry (spent or not), a batch at a time. */
  async deleteExpiredRegistrations(manager: EntityManager, now: Date, batch: number): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(
      manager,
      `WITH due AS (SELECT challenge_hash FROM passkey_registrations WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED),
            gone AS (DELETE FROM passkey_registrations r USING due WHERE r.challenge_hash = due.challenge_hash RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [now, batch],
    );
    return row.n;
  }
}
