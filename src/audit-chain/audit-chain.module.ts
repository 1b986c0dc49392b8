import { Module } from '@nestjs/common';
import { AuditChainRepository } from '../audit/audit-chain.repository';
import { TokensModule } from '../tokens/tokens.module';
import { AuditChainMetrics } from './audit-chain-metrics';
import { AuditCheckpoints } from './audit-checkpoints';
import { AuditSequencer } from './audit-sequencer';
import { AuditVerifier } from './audit-verifier';

/**
 * Tamper evidence for the audit trail: the sequencer, the signed checkpoints and retention records (the
 * service's signing keys, hence TokensModule), and the verifier behind `audit:verify`. Audit itself stays a
 * sink: it imports nothing of this.
 */
@Module({
  imports: [TokensModule],
  providers: [AuditChainRepository, AuditChainMetrics, AuditSequencer, AuditCheckpoints, AuditVerifier],
  exports: [AuditChainRepository, AuditSequencer, AuditCheckpoints, AuditVerifier],
})
export class AuditChainModule {}
