import { hostname } from 'node:os';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from './audit/audit-events';
import { AuditService } from './audit/audit.service';
import { SERVICE_VERSION } from './common/version';
import { JobRunner } from './jobs/job-runner';

/**
 * At start-up: audit writes must never fail for want of a partition, so the audit-partitions job runs
 * now (a service that was down across a month boundary catches up here), and the start of this
 * instance is itself an audit event. Part of the composition root (beside app.module.ts), not of audit:
 * it runs a job, and audit is a sink that imports no module above the platform.
 */
@Injectable()
export class StartupAudit implements OnApplicationBootstrap {
  private readonly logger = new Logger(StartupAudit.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly jobs: JobRunner,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const outcome = await this.jobs.run('audit-partitions');
    if (outcome.status === 'failed') throw new Error(`audit partitions could not be ensured: ${outcome.error}`);
    await this.dataSource.transaction((tx) =>
      this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.SERVICE_STARTED,
        outcome: 'SUCCESS',
        actor: { type: 'SYSTEM', id: 'startup' },
        details: { version: SERVICE_VERSION, instance: `${hostname()}:${process.pid}` },
      }),
    );
    this.logger.log(`audit partitions: ${outcome.status === 'ran' ? `${outcome.rows} changed` : outcome.reason}`);
  }
}
