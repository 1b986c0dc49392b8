import { Injectable, Logger } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { AuditChainRepository } from '../audit/audit-chain.repository';
import { MetricsService, withinScrapeBound } from '../observability/metrics.service';

/**
 * The audit chain's metrics (docs/operations.md, "The audit chain and webhooks"): rows this instance chained,
 * and, read at scrape time from the database (so every instance reports the cluster's chain: alert on max()),
 * the head's seq and the age of the next row waiting to be chained (a long-open transaction holds it back).
 */
@Injectable()
export class AuditChainMetrics {
  private readonly logger = new Logger(AuditChainMetrics.name);
  readonly chained: Counter;

  constructor(metrics: MetricsService, dataSource: DataSource, chain: AuditChainRepository) {
    const registers = [metrics.registry];
    this.chained = new Counter({
      name: 'ciam_audit_chain_rows_total',
      help: 'Audit rows this instance chained (content hash, seq and link set)',
      registers,
    });
    const logger = this.logger;
    new Gauge({
      name: 'ciam_audit_chain_lag_seconds',
      help: 'Age of the oldest committed audit row not chained yet (0 when none); cluster-wide',
      registers,
      async collect() {
        try {
          this.set(await withinScrapeBound(chain.unchainedAgeSeconds(dataSource.manager), 'the audit chain lag'));
        } catch (error) {
          logger.warn({ err: error }, 'audit chain lag could not be read');
        }
      },
    });
    new Gauge({
      name: 'ciam_audit_chain_head_seq',
      help: 'The audit chain head: the seq of the last chained row; cluster-wide',
      registers,
      async collect() {
        try {
          this.set((await withinScrapeBound(chain.head(dataSource.manager), 'the audit chain head')).headSeq);
        } catch (error) {
          logger.warn({ err: error }, 'audit chain head could not be read');
        }
      },
    });
  }
}
