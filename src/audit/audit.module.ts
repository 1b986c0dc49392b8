import { Global, Module } from '@nestjs/common';
import { AuditPartitionsInitializer } from './audit-partitions';
import { AuditService } from './audit.service';

@Global()
@Module({ providers: [AuditService, AuditPartitionsInitializer], exports: [AuditService] })
export class AuditModule {}
