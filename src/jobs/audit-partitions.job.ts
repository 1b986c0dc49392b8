import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditLogRepository } from '../audit/audit-log.repository';
import { AuditService } from '../audit/audit.service';
import { AuditCheckpoints } from '../audit-chain/audit-checkpoints';
import { AuditSequencer } from '../audit-chain/audit-sequencer';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { inBatches, Job, JobContext } from './job';

export function monthStart(date: Date, plusMonths = 0): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + plusMonths, 1));
}

/**
 * Monthly (and at start-up): audit partitions exist for this month and the next AUDIT_PARTITIONS_AHEAD;
 * partitions wholly past AUDIT_RETENTION_MONTHS are detached and dropped.
 */
@Injectable()
export class AuditPartitionsJob extends Job {
  readonly name = 'audit-partitions' as const;
  readonly destructive = true;
  private readonly logger = new Logger(AuditPartitionsJob.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly auditLog: AuditLogRepository,
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly checkpoints: AuditCheckpoints,
    private readonly sequencer: AuditSequencer,
  ) {
    super();
  }

  async run(context: JobContext): Promise<number> {
    const manager = this.dataSource.manager;
    let changed = 0;
    for (let ahead = 0; ahead <= this.config.jobs.auditMonthsAhead; ahead += 1) {
      const { name, created } = await this.auditLog.ensurePartition(manager, monthStart(context.now, ahead));
      if (!created) continue;
      changed += 1;
      await this.record(AUDIT_EVENT_TYPES.AUDIT_PARTITION_CREATED, { partition: name });
    }
    // A partition goes once its whole month is older than the retention.
    const cutoff = monthStart(context.now, -this.config.jobs.auditRetentionMonths);
    const due = (await this.auditLog.partitions(manager)).filter((partition) => partition.month < cutoff);
    // Whatever is committed gets its link before anything leaves, so the retention record accounts for it. Only
    // when something leaves: this job also runs at start-up, which must not wait for the sequencer to work through
    // a backlog (after the chain's migration, every existing row is one: minutes to hours at full scale).
    if (due.length > 0 || (await this.auditLog.hasDefaultRowsBefore(manager, cutoff))) await this.sequencer.chainAll();
    for (const partition of due) {
      // A row of a transaction still open below the sequencer's horizon is not chained yet: give it a moment, and
      // never drop a partition with rows the chain does not account for (the next run drops it).
      if (!(await this.chainedThrough(manager, partition.name))) {
        this.logger.warn(`audit partition ${partition.name} kept: it still has rows not chained`);
        continue;
      }
      // The signed record of what leaves the chain comes first: audit:verify steps over the hole with it.
      const pruned = await this.checkpoints.recordPrune(manager, partition.name);
      await this.auditLog.dropPartition(manager, partition.name);
      changed += 1;
      this.logger.log(
        `dropped audit partition ${partition.name} (older than ${this.config.jobs.auditRetentionMonths} months)`,
      );
      await this.record(AUDIT_EVENT_TYPES.AUDIT_PARTITION_DROPPED, {
        partition: partition.name,
        retentionMonths: this.config.jobs.auditRetentionMonths,
        firstSeq: pruned.firstSeq,
        lastSeq: pruned.lastSeq,
        rows: pruned.rowCount,
      });
    }
    await this.checkpoints.recordPrune(manager, 'audit_logs_default', cutoff);
    changed += await inBatches(context, () => this.auditLog.deleteOldDefaultBatch(manager, context.batchSize, cutoff));
    return changed;
  }

  /** Whether every row of `partition` is chained, after a few short rounds of the sequencer if not yet. */
  private async chainedThrough(manager: EntityManager, partition: string): Promise<boolean> {
    for (let round = 0; round < 5; round += 1) {
      if (!(await this.auditLog.hasUnchainedRows(manager, partition))) return true;
      await new Promise((resolve) => setTimeout(resolve, 200));
      await this.sequencer.chainAll();
    }
    return !(await this.auditLog.hasUnchainedRows(manager, partition));
  }

  private async record(
    type: typeof AUDIT_EVENT_TYPES.AUDIT_PARTITION_CREATED | typeof AUDIT_EVENT_TYPES.AUDIT_PARTITION_DROPPED,
    details: Record<string, unknown>,
  ) {
    await this.dataSource.transaction((tx) =>
      this.audit.record(tx, { type, outcome: 'SUCCESS', actor: { type: 'SYSTEM', id: this.name }, details }),
    );
  }
}
