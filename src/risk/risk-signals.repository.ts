import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { statementRows } from '../database/sql';

/** The history the built-in risk rules read. Every query is bounded by one customer's rows. */
@Injectable()
export class RiskSignalsRepository {
  /** The device completed a login of this customer before. */
  async isKnownDevice(db: EntityManager, cupid: string, deviceId: string, excludeContextId: string): Promise<boolean> {
    const rows = await db.query(
      `SELECT 1 FROM auth_contexts
        WHERE cupid = $1 AND device_id = $2 AND status = 'COMPLETED' AND id <> $3
        LIMIT 1`,
      [cupid, deviceId, excludeContextId],
    );
    return rows.length > 0;
  }

  /** The customer signed in from the same network (/24 for IPv4, /48 for IPv6) in the last 90 days. */
  async isKnownNetwork(db: EntityManager, cupid: string, ip: string): Promise<boolean> {
    const rows = await db.query(
      `SELECT 1 FROM sessions
        WHERE cupid = $1 AND created_at > now() - interval '90 days'
          AND family(ip_address) = family($2::inet)
          AND ip_address <<= network(set_masklen($2::inet, CASE WHEN family($2::inet) = 4 THEN 24 ELSE 48 END))
        LIMIT 1`,
      [cupid, ip],
    );
    return rows.length > 0;
  }

  /** Failed logins from the IP address in the current window (brute-force counter). */
  async ipFailures(db: EntityManager, ip: string): Promise<number> {
    const rows: Array<{ window_failures: number }> = await db.query(
      `SELECT window_failures FROM login_attempts WHERE subject = $1`,
      [`ip:${ip}`],
    );
    return rows[0]?.window_failures ?? 0;
  }

  /**
   * The three signals in one round trip (the built-in rules need all three for every login): whether the
   * device is known, whether the network is (skipped when `checkNetwork` is false: a trusted network), and the
   * address's failure count. Each subquery is the statement above, bounded by one customer's or address's rows.
   */
  async signals(
    db: EntityManager,
    input: {
      cupid: string;
      deviceId: string | null;
      ip: string | null;
      excludeContextId: string;
      checkNetwork: boolean;
    },
  ): Promise<{ knownDevice: boolean; knownNetwork: boolean; ipFailures: number }> {
    // Prepared once per connection: it runs in every login's password step (the built-in rules).
    const [row] = await statementRows<{ known_device: boolean; known_network: boolean; ip_failures: number }>(db, {
      name: 'ciam_risk_signals',
      text: `SELECT
         ($2::text IS NOT NULL AND EXISTS (SELECT 1 FROM auth_contexts
            WHERE cupid = $1 AND device_id = $2 AND status = 'COMPLETED' AND id <> $3)) AS known_device,
         ($4::inet IS NOT NULL AND $5::boolean AND EXISTS (SELECT 1 FROM sessions
            WHERE cupid = $1 AND created_at > now() - interval '90 days'
              AND family(ip_address) = family($4::inet)
              AND ip_address <<= network(set_masklen($4::inet, CASE WHEN family($4::inet) = 4 THEN 24 ELSE 48 END)))) AS known_network,
         COALESCE((SELECT window_failures FROM login_attempts WHERE subject = 'ip:' || $4::text), 0) AS ip_failures`,
      values: [input.cupid, input.deviceId, input.excludeContextId, input.ip, input.checkNetwork],
    });
    return { knownDevice: row.known_device, knownNetwork: row.known_network, ipFailures: Number(row.ip_failures) };
  }
}
