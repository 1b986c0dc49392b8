import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * Audit writes must never fail for want of a partition: at start-up, make sure the current month and
 * the next two exist (a service that was down across a month boundary catches up here).
 */
@Injectable()
export class AuditPartitionsInitializer implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuditPartitionsInitializer.name);

  constructor(private readonly dataSource: DataSource) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.dataSource.query('SELECT ensure_audit_partitions(2)');
    this.logger.log('audit partitions ensured for the current month and the next two');
  }
}
