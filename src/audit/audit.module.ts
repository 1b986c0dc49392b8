import { Global, Module } from '@nestjs/common';
import { AuditTrailRepository } from './audit-trail.repository';
import { AuditService } from './audit.service';

@Global()
@Module({ providers: [AuditService, AuditTrailRepository], exports: [AuditService, AuditTrailRepository] })
export class AuditModule {}
