import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { OutboxRepository } from '../outbox/outbox.repository';
import { inBatches, Job, JobContext } from './job';

/**
 * Hourly: delivered outbox messages past OUTBOX_DELIVERED_RETENTION_HOURS and dead ones past
 * OUTBOX_DEAD_RETENTION_DAYS are deleted, in bounded batches, through the table's owning repository.
 * (Its delivery outcomes stay in the audit trail.)
 */
@Injectable()
export class PurgeOutboxJob extends Job {
  readonly name = 'purge-outbox' as const;
  readonly destructive = true;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxRepository,
  ) {
    super();
  }

  run(context: JobContext): Promise<number> {
    const { now, batchSize } = context;
    const deliveredBefore = new Date(now.getTime() - this.config.outbox.deliveredRetentionHours * 3_600_000);
    const deadBefore = new Date(now.getTime() - this.config.outbox.deadRetentionDays * 86_400_000);
    return inBatches(context, () =>
      this.outbox.deleteFinishedBatch(this.dataSource.manager, batchSize, deliveredBefore, deadBefore),
    );
  }
}
