import { Global, Module } from '@nestjs/common';
import { AuditLogRepository } from './audit-log.repository';
import { AuditTrailRepository } from './audit-trail.repository';
import { AuditService } from './audit.service';

@Global()
@Module({
  providers: [AuditLogRepository, AuditService, AuditTrailRepository],
  exports: [AuditLogRepository, AuditService, AuditTrailRepository],
})
export class AuditModule {}
