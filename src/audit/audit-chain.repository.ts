import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '../database/sql';
import { CONTENT_HASH_SQL } from './audit-chain';

/** A committed, not yet chained audit row, with its content hash computed by the database. */
export interface UnchainedRow {
  id: string;
  /** created_at as the database's text, so the row is found again at full (microsecond) precision. */
  created_at_text: string;
  created_at: Date;
  event_type: string;
  outcome: string;
  actor_type: string;
  actor_id: string | null;
  cupid: string | null;
  session_id: string | null;
  context_id: string | null;
  client_id: string | null;
  ip_address: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
  content_hash: Buffer;
}

/** One chained row as audit:verify reads it: the stored link and the content hash recomputed from the row now. */
export interface ChainedRow {
  id: string;
  chain_seq: string;
  chain_hash: Buffer;
  content_hash: Buffer;
  recomputed: Buffer;
}

export interface ChainHead {
  headSeq: number;
  headHash: Buffer;
}

export interface CheckpointRow {
  seq: string;
  chain_hash: Buffer;
  jws: string;
  created_at: Date;
}

export interface PruneSummary {
  firstSeq: number | null;
  lastSeq: number | null;
  rowCount: number;
  anchors: Array<{ seq: number; hash: string }>;
}

const PARTITION_NAME = /^audit_logs_(\d{4}_\d{2}|default)$/;

/**
 * Owns the chain's own tables (audit_chain_state, audit_checkpoints, audit_chain_prunes) and reads audit_logs
 * in chain order. The one write to audit_logs' chain columns is AuditLogRepository.writeChainLinks (its owner).
 */
@Injectable()
export class AuditChainRepository {
  /**
   * The chain head, row-locked for the rest of the transaction; null when another sequencer holds it (SKIP
   * LOCKED: an instance never waits for another's batch, it simply has nothing to do this tick).
   */
  async lockHead(manager: EntityManager): Promise<ChainHead | null> {
    const [row] = await rowsOf<{ head_seq: string; head_hash: Buffer }>(
      manager,
      'SELECT head_seq, head_hash FROM audit_chain_state WHERE id = 1 FOR UPDATE SKIP LOCKED',
    );
    return row ? { headSeq: Number(row.head_seq), headHash: row.head_hash } : null;
  }

  async head(manager: EntityManager): Promise<ChainHead & { horizon: string | null; updatedAt: Date }> {
    const [row] = await rowsOf<{ head_seq: string; head_hash: Buffer; horizon: string | null; updated_at: Date }>(
      manager,
      'SELECT head_seq, head_hash, horizon::text AS horizon, updated_at FROM audit_chain_state WHERE id = 1',
    );
    return {
      headSeq: Number(row.head_seq),
      headHash: row.head_hash,
      horizon: row.horizon,
      updatedAt: row.updated_at,
    };
  }

  /**
   * The next rows to chain, in chain order (tx, id), and the horizon they were taken below: the oldest
   * transaction still running in this statement's snapshot. Every transaction with a lower id has ended, so
   * no row can still appear below it: a row committing late with a lower id is never skipped.
   */
  async unchainedBatch(manager: EntityManager, limit: number): Promise<{ horizon: string; rows: UnchainedRow[] }> {
    const rows = await rowsOf<UnchainedRow & { horizon: string }>(
      manager,
      `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon, a.id, a.created_at::text AS created_at_text,
              a.created_at, a.event_type, a.outcome, a.actor_type, a.actor_id, a.cupid, a.session_id, a.context_id,
              a.client_id, host(a.ip_address) AS ip_address, a.user_agent, a.details, ${CONTENT_HASH_SQL} AS content_hash
         FROM audit_logs a
        WHERE a.chain_seq IS NULL AND (a.tx IS NULL OR a.tx < pg_snapshot_xmin(pg_current_snapshot()))
        ORDER BY a.tx NULLS FIRST, a.id
        LIMIT $1`,
      [limit],
    );
    if (rows.length > 0) return { horizon: rows[0].horizon, rows };
    const [h] = await rowsOf<{ horizon: string }>(
      manager,
      'SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon',
    );
    return { horizon: h.horizon, rows: [] };
  }

  async saveHead(manager: EntityManager, head: ChainHead, horizon: string): Promise<void> {
    await manager.query(
      `UPDATE audit_chain_state SET head_seq = $1, head_hash = $2, horizon = GREATEST(horizon, $3::xid8), updated_at = now()
        WHERE id = 1`,
      [head.headSeq, head.headHash, horizon],
    );
  }

  /** Committed rows not chained yet (the sequencer's backlog). */
  async unchainedCount(manager: EntityManager): Promise<number> {
    const [row] = await rowsOf<{ n: string }>(manager, 'SELECT count(*) AS n FROM audit_logs WHERE chain_seq IS NULL');
    return Number(row.n);
  }

  /**
   * How long the next row in chain order has waited (0 when none): by the unchained index, one row, whatever the
   * backlog (a scrape must stay cheap even after a migration left millions of rows to chain).
   */
  async unchainedAgeSeconds(manager: EntityManager): Promise<number> {
    const [row] = await rowsOf<{ age: number | null }>(
      manager,
      `SELECT extract(epoch FROM now() - created_at)::float8 AS age FROM audit_logs
        WHERE chain_seq IS NULL ORDER BY tx NULLS FIRST, id LIMIT 1`,
    );
    return Math.max(0, row?.age ?? 0);
  }

  /** Chained rows with seq in (afterSeq, toSeq], in chain order: one keyset page (bounded memory). */
  page(manager: EntityManager, afterSeq: number, toSeq: number, limit: number): Promise<ChainedRow[]> {
    return rowsOf<ChainedRow>(
      manager,
      `SELECT a.id, a.chain_seq, a.chain_hash, a.content_hash, ${CONTENT_HASH_SQL} AS recomputed
         FROM audit_logs a WHERE a.chain_seq > $1 AND a.chain_seq <= $2 ORDER BY a.chain_seq LIMIT $3`,
      [afterSeq, toSeq, limit],
    );
  }

  async linkAt(manager: EntityManager, seq: number): Promise<Buffer | null> {
    const [row] = await rowsOf<{ chain_hash: Buffer }>(
      manager,
      'SELECT chain_hash FROM audit_logs WHERE chain_seq = $1 LIMIT 1',
      [seq],
    );
    return row?.chain_hash ?? null;
  }

  /** The first chained seq at or after an instant (for audit:verify --from <date>). */
  async firstSeqAt(manager: EntityManager, at: Date): Promise<number | null> {
    const [row] = await rowsOf<{ seq: string | null }>(
      manager,
      'SELECT min(chain_seq) AS seq FROM audit_logs WHERE created_at >= $1 AND chain_seq IS NOT NULL',
      [at],
    );
    return row.seq === null ? null : Number(row.seq);
  }

  /** The last chained seq before an instant (for audit:verify --to <date>). */
  async lastSeqBefore(manager: EntityManager, at: Date): Promise<number | null> {
    const [row] = await rowsOf<{ seq: string | null }>(
      manager,
      'SELECT max(chain_seq) AS seq FROM audit_logs WHERE created_at < $1 AND chain_seq IS NOT NULL',
      [at],
    );
    return row.seq === null ? null : Number(row.seq);
  }

  async insertCheckpoint(manager: EntityManager, seq: number, hash: Buffer, jws: string): Promise<void> {
    await manager.query(
      'INSERT INTO audit_checkpoints (seq, chain_hash, jws) VALUES ($1, $2, $3) ON CONFLICT (seq) DO NOTHING',
      [seq, hash, jws],
    );
  }

  async latestCheckpoint(manager: EntityManager): Promise<CheckpointRow | null> {
    const [row] = await rowsOf<CheckpointRow>(manager, 'SELECT * FROM audit_checkpoints ORDER BY seq DESC LIMIT 1');
    return row ?? null;
  }

  checkpointsBetween(manager: EntityManager, fromSeq: number, toSeq: number): Promise<CheckpointRow[]> {
    return rowsOf<CheckpointRow>(
      manager,
      'SELECT * FROM audit_checkpoints WHERE seq >= $1 AND seq <= $2 ORDER BY seq',
      [fromSeq, toSeq],
    );
  }

  /**
   * What dropping `partition` (or deleting the DEFAULT partition's rows before `before`) removes from the
   * chain: its seq range, its row count, and the anchors — the chain_hash of each removed row whose successor
   * stays (verification steps over the hole from there). The name is checked, never quoted in from input.
   */
  async pruneSummary(manager: EntityManager, partition: string, before?: Date): Promise<PruneSummary> {
    if (!PARTITION_NAME.test(partition)) throw new Error(`not an audit partition: ${partition}`);
    const scope = before ? 'created_at < $1' : 'true';
    const [row] = await rowsOf<{
      first_seq: string | null;
      last_seq: string | null;
      n: string;
      anchors: PruneSummary['anchors'];
    }>(
      manager,
      `WITH gone AS (SELECT chain_seq, chain_hash FROM ${partition} WHERE ${scope})
       SELECT min(chain_seq) AS first_seq, max(chain_seq) AS last_seq, count(*) AS n,
              COALESCE((SELECT jsonb_agg(jsonb_build_object('seq', g.chain_seq, 'hash', encode(g.chain_hash, 'hex')) ORDER BY g.chain_seq)
                          FROM gone g WHERE g.chain_seq IS NOT NULL
                           AND NOT EXISTS (SELECT 1 FROM gone n WHERE n.chain_seq = g.chain_seq + 1)), '[]') AS anchors
         FROM gone`,
      before ? [before] : [],
    );
    return {
      firstSeq: row.first_seq === null ? null : Number(row.first_seq),
      lastSeq: row.last_seq === null ? null : Number(row.last_seq),
      rowCount: Number(row.n),
      anchors: row.anchors.map((anchor) => ({ seq: Number(anchor.seq), hash: anchor.hash })),
    };
  }

  async insertPrune(manager: EntityManager, partition: string, summary: PruneSummary, jws: string): Promise<void> {
    await manager.query(
      `INSERT INTO audit_chain_prunes (partition, first_seq, last_seq, row_count, anchors, jws)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [partition, summary.firstSeq, summary.lastSeq, summary.rowCount, JSON.stringify(summary.anchors), jws],
    );
  }

  /** The signed prune records that hold an anchor at `seq` (newest first). */
  prunesWithAnchor(
    manager: EntityManager,
    seq: number,
  ): Promise<Array<{ jws: string; anchors: PruneSummary['anchors'] }>> {
    return rowsOf(
      manager,
      `SELECT jws, anchors FROM audit_chain_prunes WHERE anchors @> $1::jsonb ORDER BY created_at DESC`,
      [JSON.stringify([{ seq }])],
    );
  }
}
