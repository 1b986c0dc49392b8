import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { poolStatement, rowsOf } from '../database/sql';

/** What a used JWT id was: a client's assertion (RFC 7523) or a DPoP proof (RFC 9449). */
export type UsedJtiKind = 'client_assertion' | 'dpop_proof';

/**
 * Owns used_jtis: the JWT ids already accepted, shared by every instance, so that a client assertion or a
 * DPoP proof is accepted once (RFC 7523 §3 item 7, RFC 9449 §11.1). `issuer` scopes the id: the client id for
 * an assertion, the key's thumbprint for a proof (two clients may pick the same jti).
 */
@Injectable()
export class UsedJtisRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * True on the first use of (kind, issuer, jti), false on every later one: the primary key decides, so two
   * instances racing with one JWT get one true between them. One statement on the pool, its own transaction,
   * run before the request's other statements and never inside a transaction of the caller's. The row is kept
   * until `expiresAt`, after which the JWT would be refused as expired anyway.
   */
  async consume(kind: UsedJtiKind, issuer: string, jti: string, expiresAt: Date): Promise<boolean> {
    const rows = await poolStatement<{ first: boolean }>(this.dataSource, {
      name: 'used-jtis.consume',
      text: `INSERT INTO used_jtis (kind, issuer, jti, expires_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING RETURNING true AS first`,
      values: [kind, issuer, jti, expiresAt],
    });
    return rows.length === 1;
  }

  /** Data lifecycle (purge-used-jtis job): up to `batch` rows past their expiry. */
  async deleteExpiredBatch(manager: EntityManager, batch: number, asOf: Date): Promise<number> {
    const [row] = await rowsOf<{ n: string }>(
      manager,
      `WITH due AS (SELECT kind, issuer, jti FROM used_jtis WHERE expires_at < $2 LIMIT $1 FOR UPDATE SKIP LOCKED),
            gone AS (DELETE FROM used_jtis u USING due
                      WHERE u.kind = due.kind AND u.issuer = due.issuer AND u.jti = due.jti RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [batch, asOf],
    );
    return Number(row?.n ?? 0);
  }
}
