import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '../../database/sql';

export interface CustomerEmail {
  cupid: string;
  address: string;
  verifiedAt: Date;
  lastUsedAt: Date | null;
}

export interface EmailVerification {
  id: string;
  cupid: string;
  address: string;
  codeHash: Buffer;
  attempts: number;
  sends: number;
  lastSentAt: Date;
  expiresAt: Date;
}

/**
 * Owns customer_emails, email_verifications and email_deliveries (migration 1796092000000): the verified
 * address per CUPID, its pending verification code (hashed) and the per-address send budget.
 */
@Injectable()
export class CustomerEmailsRepository {
  async find(manager: EntityManager, cupid: string): Promise<CustomerEmail | null> {
    const [row] = await rowsOf<CustomerEmail>(
      manager,
      `SELECT cupid, address, verified_at AS "verifiedAt", last_used_at AS "lastUsedAt" FROM customer_emails WHERE cupid = $1`,
      [cupid],
    );
    return row ?? null;
  }

  /** The verified address (replacing the one before, if any). */
  async upsertVerified(manager: EntityManager, cupid: string, address: string, at: Date): Promise<void> {
    await manager.query(
      `INSERT INTO customer_emails (cupid, address, verified_at) VALUES ($1, $2, $3)
       ON CONFLICT (cupid) DO UPDATE SET address = EXCLUDED.address, verified_at = EXCLUDED.verified_at, last_used_at = NULL`,
      [cupid, address, at],
    );
  }

  async delete(manager: EntityManager, cupid: string): Promise<boolean> {
    const rows = await rowsOf<{ cupid: string }>(
      manager,
      `DELETE FROM customer_emails WHERE cupid = $1 RETURNING cupid`,
      [cupid],
    );
    return rows.length > 0;
  }

  async markUsed(manager: EntityManager, cupid: string, at: Date): Promise<void> {
    await manager.query(`UPDATE customer_emails SET last_used_at = $2 WHERE cupid = $1`, [cupid, at]);
  }

  /** The customer's pending verification, locked for the rest of the transaction (one attempt at a time). */
  async pendingForUpdate(manager: EntityManager, cupid: string): Promise<EmailVerification | null> {
    const [row] = await rowsOf<EmailVerification>(
      manager,
      `SELECT id, cupid, address, code_hash AS "codeHash", attempts, sends, last_sent_at AS "lastSentAt", expires_at AS "expiresAt"
         FROM email_verifications WHERE cupid = $1 AND consumed_at IS NULL FOR UPDATE`,
      [cupid],
    );
    return row ?? null;
  }

  /** A new pending verification; one pending before it (another address) is closed first. */
  async replacePending(
    manager: EntityManager,
    row: { id: string; cupid: string; address: string; codeHash: Buffer; at: Date; expiresAt: Date },
  ): Promise<void> {
    await manager.query(`UPDATE email_verifications SET consumed_at = $2 WHERE cupid = $1 AND consumed_at IS NULL`, [
      row.cupid,
      row.at,
    ]);
    await manager.query(
      `INSERT INTO email_verifications (id, cupid, address, code_hash, created_at, last_sent_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $5, $6)`,
      [row.id, row.cupid, row.address, row.codeHash, row.at, row.expiresAt],
    );
  }

  /** A resend: a new code for the same address, the wrong attempts kept (a resend never resets them). */
  async resend(manager: EntityManager, id: string, codeHash: Buffer, at: Date, expiresAt: Date): Promise<void> {
    await manager.query(
      `UPDATE email_verifications SET code_hash = $2, sends = sends + 1, last_sent_at = $3, expires_at = $4 WHERE id = $1`,
      [id, codeHash, at, expiresAt],
    );
  }

  async countAttempt(manager: EntityManager, id: string): Promise<void> {
    await manager.query(`UPDATE email_verifications SET attempts = attempts + 1 WHERE id = $1`, [id]);
  }

  /** Uses the code once: false when it was used (or closed) already. */
  async consume(manager: EntityManager, id: string, at: Date): Promise<boolean> {
    const rows = await rowsOf<{ id: string }>(
      manager,
      `UPDATE email_verifications SET consumed_at = $2 WHERE id = $1 AND consumed_at IS NULL RETURNING id`,
      [id, at],
    );
    return rows.length > 0;
  }

  /** Sends to one address are serialised across instances for the rest of the transaction (budget check). */
  async lockRecipient(manager: EntityManager, recipientHash: Buffer): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended(encode($1::bytea, 'hex'), 17))`, [
      recipientHash,
    ]);
  }

  async recipientCounts(
    manager: EntityManager,
    recipientHash: Buffer,
    now: Date,
  ): Promise<{ r15: number; r24: number }> {
    const [row] = await rowsOf<{ r15: number; r24: number }>(
      manager,
      `SELECT count(*) FILTER (WHERE created_at > $2::timestamptz - interval '15 minutes')::int AS r15,
              count(*)::int AS r24
         FROM email_deliveries WHERE recipient_hash = $1 AND created_at > $2::timestamptz - interval '24 hours'`,
      [recipientHash, now],
    );
    return row;
  }

  /** Counts a send before it goes out (under the recipient lock); cancelled when the relay refused it. */
  async reserveDelivery(
    manager: EntityManager,
    delivery: { cupid: string; recipientHash: Buffer; purpose: 'verify' | 'login'; at: Date },
  ): Promise<string> {
    const [row] = await rowsOf<{ id: string }>(
      manager,
      `INSERT INTO email_deliveries (cupid, recipient_hash, purpose, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
      [delivery.cupid, delivery.recipientHash, delivery.purpose, delivery.at],
    );
    return row.id;
  }

  async cancelDelivery(manager: EntityManager, id: string): Promise<void> {
    await manager.query(`DELETE FROM email_deliveries WHERE id = $1`, [id]);
  }

  /**
   * The purge job: verifications spent or expired, and send records, created before `before` (retention;
   * the send budget's windows are at most a day, far shorter). One bounded batch per call.
   */
  async deleteOldBatch(manager: EntityManager, batch: number, before: Date): Promise<number> {
    const [verifications] = await rowsOf<{ n: number }>(
      manager,
      `WITH due AS (SELECT id FROM email_verifications WHERE (consumed_at IS NOT NULL OR expires_at < $2) AND created_at < $2 LIMIT $1 FOR UPDATE SKIP LOCKED),
            gone AS (DELETE FROM email_verifications x USING due WHERE x.id = due.id RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [batch, before],
    );
    const [deliveries] = await rowsOf<{ n: number }>(
      manager,
      `WITH due AS (SELECT id FROM email_deliveries WHERE created_at < $2 LIMIT $1 FOR UPDATE SKIP LOCKED),
            gone AS (DELETE FROM email_deliveries x USING due WHERE x.id = due.id RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [batch, before],
    );
    return verifications.n + deliveries.n;
  }
}
