import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { nextLink } from '../audit/audit-chain';
import { AuditChainRepository, UnchainedRow } from '../audit/audit-chain.repository';
import { AuditLogRepository } from '../audit/audit-log.repository';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { AuditChainMetrics } from './audit-chain-metrics';

/** A row the sequencer has just chained, as listeners (webhook fan-out) see it, in chain order. */
export interface ChainedAuditRow extends Omit<UnchainedRow, 'content_hash' | 'created_at_text'> {
  seq: number;
}

/**
 * Called inside the sequencer's transaction with the rows it chained, in chain order: what a listener writes
 * (an outbox message) commits with the links, so it follows chain order and is never lost nor doubled.
 */
export type ChainListener = (manager: EntityManager, rows: ChainedAuditRow[]) => Promise<void>;

/**
 * Chains committed audit rows (docs/architecture.md, "Tamper-evident audit"). Writers only insert (a column
 * default records their transaction id); this sequencer, one instance at a time (the head row locked with SKIP
 * LOCKED), takes rows below the snapshot horizon in (tx, id) order and gives each its content hash, seq and
 * link, in one short transaction per batch. Every instance ticks (AUDIT_CHAIN_INTERVAL_MS); one does the work.
 */
@Injectable()
export class AuditSequencer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuditSequencer.name);
  private readonly listeners: ChainListener[] = [];
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly chain: AuditChainRepository,
    private readonly log: AuditLogRepository,
    @Optional() private readonly metrics?: AuditChainMetrics,
  ) {}

  /** Registered at module init (e.g. by webhooks); runs in the chaining transaction. */
  onChained(listener: ChainListener): void {
    this.listeners.push(listener);
  }

  onApplicationBootstrap(): void {
    if (this.config.jobs.auditChainIntervalMs > 0) this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Chains until no committed row is left below the horizon (or another instance holds the head). */
  async chainAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const chained = await this.chainOnce();
      total += chained;
      if (chained < this.config.jobs.auditChainBatchSize) return total;
    }
  }

  /** One batch in one transaction; 0 when nothing is due or another instance is chaining. */
  chainOnce(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const head = await this.chain.lockHead(manager);
      if (!head) return 0;
      const { horizon, rows } = await this.chain.unchainedBatch(manager, this.config.jobs.auditChainBatchSize);
      // Nothing to chain: no write at all (every instance ticks every second; an idle tick must cost a read only).
      if (rows.length === 0) return 0;
      let seq = head.headSeq;
      let hash = head.headHash;
      const links = rows.map((row) => {
        seq += 1;
        hash = nextLink(hash, row.content_hash);
        return { id: row.id, createdAt: row.created_at_text, seq, contentHash: row.content_hash, chainHash: hash };
      });
      await this.log.writeChainLinks(manager, links);
      await this.chain.saveHead(manager, { headSeq: seq, headHash: hash }, horizon);
      const chained = rows.map(({ content_hash: _hash, created_at_text: _text, ...row }, index): ChainedAuditRow => ({
        ...row,
        seq: links[index].seq,
      }));
      for (const listener of this.listeners) await listener(manager, chained);
      this.metrics?.chained.inc(rows.length);
      return rows.length;
    });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.chainAll()
        .catch((error: unknown) => this.logger.error({ err: error }, 'audit sequencer failed; retrying next tick'))
        .finally(() => this.schedule());
    }, this.config.jobs.auditChainIntervalMs);
    this.timer.unref();
  }
}
