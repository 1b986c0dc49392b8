import { Injectable, Logger } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { MetricsService, withinScrapeBound } from '../observability/metrics.service';
import { OutboxBacklogRow, OutboxRepository } from './outbox.repository';

const BACKLOG_STATES = ['pending', 'in_flight', 'dead'] as const;

/**
 * The outbox's metrics, in the process's registry (MetricsService). The backlog gauges are read from the
 * database at scrape time (one grouped query on the partial indexes), so every instance reports the
 * cluster's backlog: alert on max(), not sum() (docs/operations.md).
 */
@Injectable()
export class OutboxMetrics {
  private readonly logger = new Logger(OutboxMetrics.name);
  /** Channels seen at an earlier scrape: reported as 0 once their backlog is gone, not left at the last value. */
  private readonly seen = new Set<string>();

  readonly deliveries: Counter<'channel' | 'outcome'>;
  readonly deliveryDuration: Histogram<'channel'>;
  private readonly backlog: Gauge<'channel' | 'state'>;
  private readonly oldest: Gauge<'channel' | 'state'>;
  private reading?: Promise<void>;
  private query?: Promise<OutboxBacklogRow[]>;

  constructor(metrics: MetricsService, dataSource: DataSource, repository: OutboxRepository, clock: Clock) {
    const registers = [metrics.registry];
    this.deliveries = new Counter({
      name: 'ciam_outbox_deliveries_total',
      help: 'Outbox delivery attempts of this instance by channel and outcome (delivered, retry, dead)',
      labelNames: ['channel', 'outcome'] as const,
      registers,
    });
    this.deliveryDuration = new Histogram({
      name: 'ciam_outbox_delivery_duration_seconds',
      help: 'Duration of one outbox delivery attempt (the handler, its HTTP call included)',
      labelNames: ['channel'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    const refresh = () => this.refresh(repository, dataSource, clock);
    this.backlog = new Gauge({
      name: 'ciam_outbox_messages',
      help: 'Undelivered outbox messages by channel and state (pending, in_flight, dead); cluster-wide',
      labelNames: ['channel', 'state'] as const,
      registers,
      collect: refresh,
    });
    this.oldest = new Gauge({
      name: 'ciam_outbox_oldest_age_seconds',
      help: 'Age of the oldest undelivered outbox message by channel and state (pending, in_flight, dead); cluster-wide',
      labelNames: ['channel', 'state'] as const,
      registers,
      collect: refresh,
    });
  }

  /** One read for both gauges: prom-client collects them concurrently, so they share the read in flight. */
  private refresh(repository: OutboxRepository, dataSource: DataSource, clock: Clock): Promise<void> {
    this.reading ??= this.read(repository, dataSource, clock).finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async read(repository: OutboxRepository, dataSource: DataSource, clock: Clock): Promise<void> {
    // At most one backlog query in flight: a frozen database must not collect one stuck query per scrape.
    this.query ??= repository.backlog(dataSource.manager, clock.now()).finally(() => {
      this.query = undefined;
    });
    let rows: OutboxBacklogRow[];
    try {
      rows = await withinScrapeBound(this.query, 'the outbox backlog');
    } catch (error) {
      // The scrape must not fail with the database: the gauges keep their last values, the pool metrics say why.
      this.logger.warn(`outbox backlog not read: ${(error as Error).message}`);
      return;
    }
    for (const row of rows) this.seen.add(row.channel);
    for (const channel of this.seen) {
      for (const state of BACKLOG_STATES) {
        const row = rows.find((r) => r.channel === channel && r.state === state);
        this.backlog.set({ channel, state }, row?.count ?? 0);
        this.oldest.set({ channel, state }, row?.oldestSeconds ?? 0);
      }
    }
  }
}
