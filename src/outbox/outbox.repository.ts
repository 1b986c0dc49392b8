import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { SqlFragment } from '../audit/audit-log.repository';
import { rowsOf } from '../database/sql';

export type OutboxState = 'PENDING' | 'DELIVERED' | 'DEAD';

/** One message to enqueue, as the repository writes it (OutboxService checks and shapes it). */
export interface OutboxInsert {
  channel: string;
  destination: string;
  orderingKey: string | null;
  payload: Record<string, unknown>;
  createdAt: Date;
}

/** A message as the claim hands it to delivery. */
export interface ClaimedMessage {
  id: string;
  channel: string;
  destination: string;
  orderingKey: string | null;
  payload: Record<string, unknown>;
  /** This attempt's number (1 for the first): the claim counts it, so a crash mid-delivery still counts. */
  attempts: number;
  createdAt: Date;
}

/** A message as operators see it (CLI, admin API): everything but nothing secret (payloads never hold secrets). */
export interface OutboxMessageView {
  id: string;
  channel: string;
  destination: string;
  orderingKey: string | null;
  state: OutboxState;
  attempts: number;
  nextAttemptAt: Date;
  lockedUntil: Date | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
  deadAt: Date | null;
  payload: Record<string, unknown>;
}

/** Backlog by channel and state, for the metrics gauges. */
export interface OutboxBacklogRow {
  channel: string;
  state: 'pending' | 'in_flight' | 'dead';
  count: number;
  oldestSeconds: number;
}

type Row = {
  id: string;
  channel: string;
  destination: string;
  ordering_key: string | null;
  payload: Record<string, unknown>;
  state: OutboxState;
  attempts: number;
  next_attempt_at: Date;
  locked_until: Date | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
  dead_at: Date | null;
};

const RECORDSET_COLUMNS = 'channel text, destination text, ordering_key text, payload jsonb, created_at timestamptz';

/**
 * Owns outbox_messages (rule 2: only this file holds its SQL). Enqueueing is a fragment for the caller's own
 * statement or transaction (a transactional outbox: the message commits with the change it announces);
 * delivery claims due messages in one short statement (FOR UPDATE SKIP LOCKED, a lease), and records each
 * outcome in another, with its audit event in the same statement.
 */
@Injectable()
export class OutboxRepository {
  /**
   * The INSERT of `rows` as a fragment (one jsonb parameter, `$firstParam`; the text depends only on
   * `firstParam` and `when`), e.g. a member of a data-modifying CTE: `WITH ended AS (<the change> RETURNING ...),
   * outbox AS (<text>) SELECT ...`. `when`: a boolean SQL condition of the caller's statement, so a message
   * is enqueued only when the change it announces happened.
   */
  insertFragment(rows: OutboxInsert[], firstParam: number, when?: string): SqlFragment {
    return {
      text:
        `INSERT INTO outbox_messages (channel, destination, ordering_key, payload, created_at, next_attempt_at) ` +
        `SELECT r.channel, r.destination, r.ordering_key, r.payload, r.created_at, r.created_at ` +
        // jsonb_to_recordset yields the array's order, so identities (delivery order) follow the caller's order.
        `FROM jsonb_to_recordset($${firstParam}::jsonb) AS r(${RECORDSET_COLUMNS})` +
        (when ? ` WHERE ${when}` : ''),
      values: [
        JSON.stringify(
          rows.map((row) => ({
            channel: row.channel,
            destination: row.destination,
            ordering_key: row.orderingKey,
            payload: row.payload,
            created_at: row.createdAt,
          })),
        ),
      ],
    };
  }

  async insert(manager: EntityManager, rows: OutboxInsert[]): Promise<void> {
    if (rows.length === 0) return;
    const fragment = this.insertFragment(rows, 1);
    await manager.query(fragment.text, fragment.values);
  }

  /**
   * Claims up to `limit` due messages of `channels` for `leaseSeconds`, in ONE statement (its own short
   * transaction; no connection is held during delivery). SKIP LOCKED: instances claiming at the same moment
   * take different rows; the lease (locked_until) keeps the others off after this commits. Only the oldest
   * pending message of each (channel, destination, ordering_key) is claimable, so a later one waits while an
   * earlier one is in flight or waiting for its retry (per-key order); dead ones no longer hold the key.
   */
  async claim(
    manager: EntityManager,
    options: { channels: string[]; limit: number; leaseSeconds: number; now: Date; lease: string },
  ): Promise<ClaimedMessage[]> {
    if (options.channels.length === 0) return [];
    const rows = await rowsOf<Row>(
      manager,
      `WITH due AS (
         SELECT m.id FROM outbox_messages m
          WHERE m.state = 'PENDING' AND m.channel = ANY($1::text[]) AND m.next_attempt_at <= $3
            AND (m.locked_until IS NULL OR m.locked_until <= $3)
            AND (m.ordering_key IS NULL OR NOT EXISTS (
                  SELECT 1 FROM outbox_messages o
                   WHERE o.state = 'PENDING' AND o.ordering_key IS NOT NULL AND o.channel = m.channel
                     AND o.destination = m.destination AND o.ordering_key = m.ordering_key AND o.id < m.id))
          ORDER BY m.next_attempt_at, m.id
          LIMIT $2
          FOR UPDATE SKIP LOCKED)
       UPDATE outbox_messages m
          SET locked_until = $3::timestamptz + make_interval(secs => $4), lease = $5, attempts = m.attempts + 1
         FROM due WHERE m.id = due.id
       RETURNING m.id::text AS id, m.channel, m.destination, m.ordering_key, m.payload, m.attempts, m.created_at`,
      [options.channels, options.limit, options.now, options.leaseSeconds, options.lease],
    );
    return rows
      .map((row) => ({
        id: row.id,
        channel: row.channel,
        destination: row.destination,
        orderingKey: row.ordering_key,
        payload: row.payload,
        attempts: row.attempts,
        createdAt: row.created_at,
      }))
      .sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
  }

  /**
   * Records a delivery outcome for the claim `lease` holds (a late answer from a lease that expired and was
   * claimed again changes nothing), with `audit` (a fragment numbered from $7, written only when the row
   * changed) in the same statement. `outcome`: delivered; retry at `nextAttemptAt`; dead. True when recorded.
   */
  async recordOutcome(
    manager: EntityManager,
    outcome: {
      id: string;
      lease: string;
      state: OutboxState;
      nextAttemptAt: Date | null;
      error: string | null;
      now: Date;
    },
    audit: ((firstParam: number, when: string) => SqlFragment) | null,
  ): Promise<boolean> {
    const fragment = audit?.(7, 'EXISTS (SELECT 1 FROM changed)');
    const rows = await rowsOf<{ id: string }>(
      manager,
      `WITH changed AS (
         UPDATE outbox_messages
            SET state = $3, locked_until = NULL, lease = NULL, last_error = $5,
                next_attempt_at = COALESCE($4, next_attempt_at),
                delivered_at = CASE WHEN $3 = 'DELIVERED' THEN $6::timestamptz END,
                dead_at = CASE WHEN $3 = 'DEAD' THEN $6::timestamptz END
          WHERE id = $1::bigint AND lease = $2::uuid AND state = 'PENDING'
          RETURNING id)${
            fragment
              ? `,
       audit AS (${fragment.text})`
              : ''
          }
       SELECT id::text AS id FROM changed`,
      [
        outcome.id,
        outcome.lease,
        outcome.state,
        outcome.nextAttemptAt,
        outcome.error,
        outcome.now,
        ...(fragment?.values ?? []),
      ],
    );
    return rows.length === 1;
  }

  /**
   * An operator's retry of a dead message: pending again, due now, attempts from zero; with `audit` (from $3,
   * written only when it changed) in the same statement. False when no dead message has that id.
   */
  async requeueDead(
    manager: EntityManager,
    id: string,
    now: Date,
    audit: (firstParam: number, when: string) => SqlFragment,
  ): Promise<boolean> {
    const fragment = audit(3, 'EXISTS (SELECT 1 FROM changed)');
    const rows = await rowsOf<{ id: string }>(
      manager,
      `WITH changed AS (
         UPDATE outbox_messages SET state = 'PENDING', attempts = 0, next_attempt_at = $2, dead_at = NULL,
                locked_until = NULL, lease = NULL
          WHERE id = $1::bigint AND state = 'DEAD'
          RETURNING id),
       audit AS (${fragment.text})
       SELECT id::text AS id FROM changed`,
      [id, now, ...fragment.values],
    );
    return rows.length === 1;
  }

  /** Messages for operators, newest first: by state and channel, at most `limit`. */
  async list(
    manager: EntityManager,
    filter: { state?: OutboxState; channel?: string; limit: number },
  ): Promise<OutboxMessageView[]> {
    const rows = await rowsOf<Row>(
      manager,
      `SELECT id::text AS id, channel, destination, ordering_key, payload, state, attempts, next_attempt_at, locked_until,
              last_error, created_at, delivered_at, dead_at
         FROM outbox_messages
        WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR channel = $2)
        ORDER BY outbox_messages.id DESC LIMIT $3`,
      [filter.state ?? null, filter.channel ?? null, filter.limit],
    );
    return rows.map(toView);
  }

  async find(manager: EntityManager, id: string): Promise<OutboxMessageView | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const [row] = await rowsOf<Row>(
      manager,
      `SELECT id::text AS id, channel, destination, ordering_key, payload, state, attempts, next_attempt_at, locked_until,
              last_error, created_at, delivered_at, dead_at
         FROM outbox_messages WHERE id = $1::bigint`,
      [id],
    );
    return row && toView(row);
  }

  /** Backlog by channel: pending (waiting), in flight (leased), dead; with the oldest one's age. */
  async backlog(manager: EntityManager, now: Date): Promise<OutboxBacklogRow[]> {
    const rows = await rowsOf<{ channel: string; state: OutboxBacklogRow['state']; count: string; oldest: number }>(
      manager,
      `SELECT channel,
              CASE WHEN state = 'DEAD' THEN 'dead' WHEN locked_until > $1 THEN 'in_flight' ELSE 'pending' END AS state,
              count(*) AS count, EXTRACT(EPOCH FROM ($1 - min(created_at)))::float8 AS oldest
         FROM outbox_messages WHERE state <> 'DELIVERED'
        GROUP BY 1, 2`,
      [now],
    );
    return rows.map((row) => ({
      channel: row.channel,
      state: row.state,
      count: Number(row.count),
      oldestSeconds: Math.max(0, Number(row.oldest)),
    }));
  }

  /** Purge, one bounded batch: delivered before `deliveredBefore`, dead before `deadBefore`. */
  async deleteFinishedBatch(
    manager: EntityManager,
    batch: number,
    deliveredBefore: Date,
    deadBefore: Date,
  ): Promise<number> {
    const [row] = await rowsOf<{ n: string }>(
      manager,
      `WITH due AS (
         (SELECT id FROM outbox_messages WHERE state = 'DELIVERED' AND delivered_at < $2 LIMIT $1)
         UNION ALL
         (SELECT id FROM outbox_messages WHERE state = 'DEAD' AND dead_at < $3 LIMIT $1)),
       gone AS (DELETE FROM outbox_messages m USING (SELECT id FROM due LIMIT $1) d WHERE m.id = d.id RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [batch, deliveredBefore, deadBefore],
    );
    return Number(row?.n ?? 0);
  }
}

function toView(row: Row): OutboxMessageView {
  return {
    id: row.id,
    channel: row.channel,
    destination: row.destination,
    orderingKey: row.ordering_key,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lockedUntil: row.locked_until,
    lastError: row.last_error,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
    deadAt: row.dead_at,
    payload: row.payload,
  };
}
