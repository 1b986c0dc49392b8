import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import type { AuditActor } from '../audit/audit-actor';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { ConsentRecordsRepository } from '../consents/consent-records.repository';
import { retryTransaction } from '../database/retry-transaction';
import type { ClientDeactivationStep } from './client-deactivation-steps';

const BATCH = 500;

/**
 * A deactivated client keeps no consent (issue 16 item 2): every customer's live consent to it is withdrawn, in
 * bounded short transactions, each audited (consent.revoked, reason "client deactivated"); a reactivated client
 * asks again. Its tokens and codes were ended by the steps before this one (sessions, tokens).
 */
@Injectable()
export class ConsentDeactivationStep implements ClientDeactivationStep {
  readonly name = 'consents';

  constructor(
    private readonly dataSource: DataSource,
    private readonly consents: ConsentRecordsRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async run(clientId: string, by: AuditActor): Promise<number> {
    let total = 0;
    for (;;) {
      const withdrawn = await retryTransaction(this.dataSource, async (tx) => {
        const count = await this.consents.revokeBatchForClient(tx, clientId, this.clock.now(), BATCH);
        if (count > 0)
          await this.audit.record(tx, {
            type: AUDIT_EVENT_TYPES.CONSENT_REVOKED,
            outcome: 'SUCCESS',
            actor: by,
            clientId,
            details: { scopes: null, records: count, reason: 'client deactivated' },
          });
        return count;
      });
      total += withdrawn;
      if (withdrawn < BATCH) return total;
    }
  }
}
