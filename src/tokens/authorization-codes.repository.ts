import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { deferWrite, poolStatement, rowsOf } from '../database/sql';
import type { SessionStatus } from '../sessions/session.entity';
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
  /** RFC 9449 §10: the DPoP key the code may be redeemed with (its JWK thumbprint), or null. */
  dpopJkt: string | null;
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
  dpop_jkt: string | null;
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
  dpopJkt: row.dpop_jkt,
});

/** An unredeemed code with its session's state as read now (no lock): what a code exchange signs from. */
export interface CodeWithSession extends RedeemedCode {
  sessionStatus: SessionStatus | null;
  sessionIdleExpiresAt: Date | null;
  sessionAbsoluteExpiresAt: Date | null;
  sessionAuthTime: Date | null;
  sessionAmr: string[] | null;
  sessionAcr: string | null;
}

/** Owns authorization_codes: its only SQL (the purge job deletes expired codes through `deleteExpiredBatch`). */
@Injectable()
export class AuthorizationCodesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * A new code. Deferred inside a login journey's unit of work (deferWrite, src/database/sql.ts): it rides
   * with the journey step's last statement, in the same transaction (nothing after it reads the code);
   * written at once anywhere else.
   */
  async insert(
    manager: EntityManager,
    code: Partial<AuthorizationCode> &
      Pick<
        AuthorizationCode,
        'codeHash' | 'clientId' | 'sessionId' | 'cupid' | 'redirectUri' | 'codeChallenge' | 'scope' | 'expiresAt'
      >,
  ): Promise<void> {
    const values = [
      code.id ?? randomUUID(),
      code.codeHash,
      code.clientId,
      code.sessionId,
      code.cupid,
      code.redirectUri,
      code.codeChallenge,
      code.nonce ?? null,
      code.scope,
      code.createdAt ?? null,
      code.expiresAt,
      code.redeemedAt ?? null,
      code.dpopJkt ?? null,
    ];
    await deferWrite(manager, (first) => ({
      text:
        `INSERT INTO authorization_codes (id, code_hash, client_id, session_id, cupid, redirect_uri, code_challenge, nonce, ` +
        `scope, created_at, expires_at, redeemed_at, dpop_jkt) VALUES (${values
          .map((_, i) => (i === 9 ? `COALESCE($${first + i}::timestamptz, now())` : `$${first + i}`))
          .join(', ')})`,
      values,
    }));
  }

  /** Single use: one conditional UPDATE; no row back means unknown or already redeemed. */
  async redeem(manager: EntityManager, codeHash: Buffer, at: Date): Promise<RedeemedCode | null> {
    const [row] = await rowsOf<CodeRow>(
      manager,
      `UPDATE authorization_codes SET redeemed_at = $2
        WHERE code_hash = $1 AND redeemed_at IS NULL
        RETURNING id, client_id, session_id, cupid, redirect_uri, code_challenge, nonce, scope, expires_at, dpop_jkt`,
      [codeHash, at],
    );
    return row ? toCode(row) : null;
  }

  /**
   * Hot path (code exchange, issue 14): the code if it is not redeemed yet, with its session's state, in one
   * read on the pool (a prepared statement), before anything is signed or written.
   */
  async findUnredeemedWithSession(codeHash: Buffer): Promise<CodeWithSession | null> {
    const [row] = await poolStatement<
      CodeRow & {
        session_status: SessionStatus | null;
        idle_expires_at: Date | null;
        absolute_expires_at: Date | null;
        auth_time: Date | null;
        amr: string[] | null;
        acr: string | null;
      }
    >(this.dataSource, {
      name: 'authorization-codes.unredeemed-with-session',
      text: `SELECT c.id, c.client_id, c.session_id, c.cupid, c.redirect_uri, c.code_challenge, c.nonce, c.scope, c.expires_at, c.dpop_jkt,
                    s.status AS session_status, s.idle_expires_at, s.absolute_expires_at, s.auth_time, s.amr, s.acr
               FROM authorization_codes c LEFT JOIN sessions s ON s.id = c.session_id
              WHERE c.code_hash = $1 AND c.redeemed_at IS NULL`,
      values: [codeHash],
    });
    if (!row) return null;
    return {
      ...toCode(row),
      sessionStatus: row.session_status,
      sessionIdleExpiresAt: row.idle_expires_at,
      sessionAbsoluteExpiresAt: row.absolute_expires_at,
      sessionAuthTime: row.auth_time,
      sessionAmr: row.amr,
      sessionAcr: row.acr,
    };
  }

  /**
   * The redemption as a fragment for another statement of the tokens module (TokensRepository.redeemAndIssue):
   * spends the code `id` only if it is still unredeemed and unexpired at `at`, RETURNING its session id.
   * Parameters $firstParam (id) and $firstParam+1 (at).
   */
  redeemFragment(firstParam: number, id: string, at: Date): { text: string; values: unknown[] } {
    return {
      text: `UPDATE authorization_codes SET redeemed_at = $${firstParam + 1}::timestamptz
              WHERE id = $${firstParam}::uuid AND redeemed_at IS NULL AND expires_at > $${firstParam + 1}::timestamptz
              RETURNING session_id`,
      values: [id, at],
    };
  }

  /**
   * Consent withdrawn: the customer's unredeemed codes for the client (those naming `scope`, or all when null)
   * are deleted, so none can be exchanged for tokens the consent no longer covers (invalid_grant). Returns how many.
   */
  async deleteUnredeemedForConsent(
    manager: EntityManager,
    consent: { cupid: string; clientId: string; scope: string | null },
  ): Promise<number> {
    const rows = await rowsOf<{ id: string }>(
      manager,
      `DELETE FROM authorization_codes
        WHERE cupid = $1 AND client_id = $2 AND redeemed_at IS NULL
          AND ($3::text IS NULL OR $3 = ANY (string_to_array(scope, ' ')))
        RETURNING id`,
      [consent.cupid, consent.clientId, consent.scope],
    );
    return rows.length;
  }

  /**
   * A client deactivated: its codes still redeemable at `at` are deleted in the deactivation's transaction, so a
   * reactivation within a code's lifetime cannot redeem one (the exchange guards only that the client is active
   * then). Expired codes cannot be redeemed anyway: idx_authorization_codes_expiry finds the live few, no
   * client index needed. Returns how many.
   */
  async deleteRedeemableForClient(manager: EntityManager, clientId: string, at: Date): Promise<number> {
    const rows = await rowsOf<{ id: string }>(
      manager,
      `DELETE FROM authorization_codes
        WHERE expires_at > $2::timestamptz AND client_id = $1 AND redeemed_at IS NULL
        RETURNING id`,
      [clientId, at],
    );
    return rows.length;
  }

  /** A code already redeemed, to tell a replay from a code that never existed. */
  async findRedeemed(manager: EntityManager, codeHash: Buffer): Promise<RedeemedCode | null> {
    const [row] = await rowsOf<CodeRow>(
      manager,
      `SELECT id, client_id, session_id, cupid, redirect_uri, code_challenge, nonce, scope, expires_at, dpop_jkt
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
