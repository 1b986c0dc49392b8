import { hostname } from 'node:os';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from './audit-events';
import { AuditService } from './audit.service';

const VERSION = process.env.npm_package_version ?? '0.1.0';

/**
 * At start-up: audit writes must never fail for want of a partition, so the current month and the next
 * two are created if missing (a service that was down across a month boundary catches up here), and the
 * start of this instance is itself an audit event.
 */
@Injectable()
export class StartupAudit implements OnApplicationBootstrap {
  private readonly logger = new Logger(StartupAudit.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const created = await this.dataSource.transaction(async (manager) => {
      const rows: Array<{ partition: string }> = await manager.query('SELECT ensure_audit_partitions(2) AS partition');
      for (const { partition } of rows) {
        await this.audit.record(manager, {
          type: AUDIT_EVENT_TYPES.AUDIT_PARTITION_CREATED, outcome: 'SUCCESS', actor: { type: 'SYSTEM', id: 'startup' },
          details: { partition },
        });
      }
      await this.audit.record(manager, {
        type: AUDIT_EVENT_TYPES.SERVICE_STARTED, outcome: 'SUCCESS', actor: { type: 'SYSTEM', id: 'startup' },
        details: { version: VERSION, instance: `${hostname()}:${process.pid}` },
      });
      return rows.map((row) => row.partition);
    });
    if (created.length > 0) this.logger.log(`created audit partitions ${created.join(', ')}`);
  }
}
