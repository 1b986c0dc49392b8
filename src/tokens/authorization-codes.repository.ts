import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { rowsOf } from '../database/sql';
import { AuthorizationCode } from './authorization-code.entity';

export interface RedeemedCode {
  id: string;
  clientId: string;
  sessionId: string;
  cupid: string;
  redirectUri: string;
  codeChallenge: string;
  nonce: string | null;
  scope: string;
  expiresAt: Date;
}

interface CodeRow {
  id: string;
  client_id: string;
  session_id: string;
  cupid: string;
  redirect_uri: string;
  code_challenge: string;
  nonce: string | null;
  scope: string;
  expires_at: Date;
}

const toCode = (row: CodeRow): RedeemedCode => ({
  id: row.id,
  clientId: row.client_id,
  sessionId: row.session_id,
  cupid: row.cupid,
  redirectUri: row.redirect_uri,
  codeChallenge: row.code_challenge,
  nonce: row.nonce,
  scope: row.scope,
  expiresAt: row.expires_at,
});

/** Owns authorization_codes: its only SQL (the purge job deletes expired codes through `deleteExpiredBatch`). */
@Injectable()
export class AuthorizationCodesRepository {
  async insert(manager: EntityManager, code: Partial<AuthorizationCode>): Promise<void> {
    await manager.getRepository(AuthorizationCode).insert(code as QueryDeepPartialEntity<AuthorizationCode>);
  }

  /** Single use: one conditional UPDATE; no row back means unknown or already redeemed. */
  async redeem(manager: EntityManager, codeHash: Buffer, at: Date): Promise<RedeemedCode | null> {
    const [row] = await rowsOf<CodeRow>(
      manager,
      `UPDATE authorization_codes SET redeemed_at = $2
        WHERE code_hash = $1 AND redeemed_at IS NULL
        RETURNING id, client_id, session_id, cupid, redirect_uri, code_challenge, nonce, scope, expires_at`,
      [codeHash, at],
    );
    return row ? toCode(row) : null;
  }

  /** A code already redeemed, to tell a replay from a code that never existed. */
  async findRedeemed(manager: EntityManager, codeHash: Buffer): Promise<RedeemedCode | null> {
    const [row] = await rowsOf<CodeRow>(
      manager,
      `SELECT id, client_id, session_id, cupid, redirect_uri, code_challenge, nonce, scope, expires_at
         FROM authorization_codes WHERE code_hash = $1 AND redeemed_at IS NOT NULL`,
      [codeHash],
    );
    return row ? toCode(row) : null;
  }

  /** Data lifecycle (purge job): codes a day past their (60-second) expiry; nothing can use them any more. */
  async deleteExpiredBatch(manager: EntityManager, batch: number, asOf: Date): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(
      manager,
      `WITH due AS (SELECT id FROM authorization_codes WHERE expires_at < $2::timestamptz - interval '1 day' LIMIT $1 FOR UPDATE SKIP LOCKED),
            gone AS (DELETE FROM authorization_codes c USING due WHERE c.id = due.id RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [batch, asOf],
    );
    return Number(row?.n ?? 0);
  }
}
