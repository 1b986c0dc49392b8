import { Global, Module } from '@nestjs/common';
import { StartupAudit } from './startup-audit';
import { AuditService } from './audit.service';

@Global()
@Module({ providers: [AuditService, StartupAudit], exports: [AuditService] })
export class AuditModule {}
