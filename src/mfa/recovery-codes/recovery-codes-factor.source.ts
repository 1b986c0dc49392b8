import { Injectable, OnModuleInit } from '@nestjs/common';
import { CustomerFactors, CustomerFactorSource, CustomerFactorSummary } from '../../common/customer-factors';
import { RecoveryCodesService } from './recovery-codes.service';

/** The live batch of recovery codes as one factor (kind 'recovery_codes'); revoking it revokes its unused codes. */
@Injectable()
export class RecoveryCodesFactorSource implements CustomerFactorSource, OnModuleInit {
  readonly kind = 'recovery_codes';

  constructor(
    private readonly factors: CustomerFactors,
    private readonly codes: RecoveryCodesService,
  ) {}

  onModuleInit(): void {
    this.factors.register(this);
  }

  async list(cupid: string): Promise<CustomerFactorSummary[]> {
    const batch = await this.codes.summary(cupid);
    if (!batch) return [];
    return [
      {
        kind: this.kind,
        id: batch.batchId,
        label: `${batch.left} of ${batch.total} codes left`,
        createdAt: batch.createdAt,
        lastUsedAt: batch.lastUsedAt,
        revocable: true,
      },
    ];
  }

  async revoke(cupid: string, id: string, actor: { type: 'customer' | 'agent'; id: string }, reason?: string) {
    const batch = await this.codes.summary(cupid);
    if (!batch || batch.batchId !== id) return false;
    return (await this.revokeAll(cupid, actor, reason)) > 0;
  }

  revokeAll(cupid: string, actor: { type: 'customer' | 'agent'; id: string }, reason?: string): Promise<number> {
    const auditActor = { type: actor.type === 'agent' ? ('AGENT' as const) : ('CUSTOMER' as const), id: actor.id };
    return this.codes.revokeAll(cupid, auditActor, reason ?? `revoked by the ${actor.type}`);
  }
}
