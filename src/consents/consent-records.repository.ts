import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { rowsOf } from '../database/sql';

/** One scope a customer allowed a client (consent_records). */
export interface ConsentRecord {
  cupid: string;
  clientId: string;
  scope: string;
  grantedAt: Date;
  updatedAt: Date;
  revoked: boolean;
  revokedAt: Date | null;
}

interface ConsentRow {
  cupid: string;
  client_id: string;
  scope: string;
  granted_at: Date;
  updated_at: Date;
  revoked: boolean;
  revoked_at: Date | null;
}

const toRecord = (row: ConsentRow): ConsentRecord => ({
  cupid: row.cupid,
  clientId: row.client_id,
  scope: row.scope,
  grantedAt: row.granted_at,
  updatedAt: row.updated_at,
  revoked: row.revoked,
  revokedAt: row.revoked_at,
});

/** The only code that touches consent_records. */
@Injectable()
export class ConsentRecordsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The scopes the customer allowed the client and did not withdraw (the CONSENT step's and SSO's check). FOR
   * SHARE: read in the transaction that mints the code, it holds a withdrawal back until the code is written (the
   * withdrawal then deletes it), or waits for one that came first and no longer finds the rows live.
   */
  async liveScopes(manager: EntityManager | undefined, cupid: string, clientId: string): Promise<string[]> {
    const rows = await rowsOf<{ scope: string }>(
      manager ?? this.dataSource.manager,
      'SELECT scope FROM consent_records WHERE cupid = $1 AND client_id = $2 AND NOT revoked FOR SHARE',
      [cupid, clientId],
    );
    return rows.map((row) => row.scope);
  }

  /**
   * Records a grant: a new scope is inserted; one granted before keeps its first granted_at, its updated_at
   * moves and a revocation is cleared (the customer allowed it again).
   */
  async grant(manager: EntityManager, cupid: string, clientId: string, scopes: string[], at: Date): Promise<void> {
    if (scopes.length === 0) return;
    await rowsOf(
      manager,
      `INSERT INTO consent_records (cupid, client_id, scope, granted_at, updated_at)
         SELECT $1, $2, scope, $4, $4 FROM unnest($3::text[]) AS scope
       ON CONFLICT (cupid, client_id, scope) DO UPDATE
         SET updated_at = GREATEST(EXCLUDED.updated_at, consent_records.granted_at), revoked = false, revoked_at = NULL`,
      [cupid, clientId, scopes, at],
    );
  }

  /** Every record of the customer (live and withdrawn), by client then scope. */
  async listForCustomer(cupid: string): Promise<ConsentRecord[]> {
    const rows = await rowsOf<ConsentRow>(
      this.dataSource.manager,
      `SELECT cupid, client_id, scope, granted_at, updated_at, revoked, revoked_at FROM consent_records
        WHERE cupid = $1 ORDER BY client_id, scope LIMIT 1000`,
      [cupid],
    );
    return rows.map(toRecord);
  }

  /**
   * Withdraws the customer's live consent to the client: the scopes named, or every scope when `scopes` is null.
   * Returns the scopes withdrawn (none: nothing named was live). Locks the rows: a grant racing it waits.
   */
  async revoke(
    manager: EntityManager,
    cupid: string,
    clientId: string,
    scopes: readonly string[] | null,
    at: Date,
  ): Promise<string[]> {
    const rows = await rowsOf<{ scope: string }>(
      manager,
      `UPDATE consent_records SET revoked = true, revoked_at = $4, updated_at = GREATEST($4, granted_at)
        WHERE cupid = $1 AND client_id = $2 AND ($3::text[] IS NULL OR scope = ANY ($3::text[])) AND NOT revoked
        RETURNING scope`,
      [cupid, clientId, scopes, at],
    );
    return rows.map((row) => row.scope).sort();
  }

  /**
   * A deactivated client keeps no consent (issue 16 item 1's cascade): at most `limit` live records withdrawn
   * per call, so callers loop in short transactions. Its tokens die through the rest of the cascade.
   */
  async revokeBatchForClient(manager: EntityManager, clientId: string, at: Date, limit: number): Promise<number> {
    const rows = await rowsOf<{ scope: string }>(
      manager,
      `WITH due AS (
         SELECT cupid, scope FROM consent_records WHERE client_id = $1 AND NOT revoked
          ORDER BY cupid, scope LIMIT $3 FOR UPDATE)
       UPDATE consent_records c SET revoked = true, revoked_at = $2, updated_at = GREATEST($2, c.granted_at)
         FROM due WHERE c.client_id = $1 AND c.cupid = due.cupid AND c.scope = due.scope
       RETURNING c.scope`,
      [clientId, at, limit],
    );
    return rows.length;
  }
}
