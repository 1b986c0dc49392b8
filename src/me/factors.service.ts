import { HttpStatus, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AuditActor } from '../audit/audit-actor';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { CustomerFactors } from '../common/customer-factors';
import type { CustomerFactorSummary } from '../common/customer-factors';
import { CustomerNotifier } from '../common/customer-notifier';
import { ApiError, NotFoundProblem } from '../common/problem';
import type { RequestOrigin } from '../common/request-origin';

export class FactorNotRevocableError extends ApiError {
  constructor() {
    super(
      HttpStatus.CONFLICT,
      'FACTOR_NOT_REVOCABLE',
      'Factor not revocable here',
      'This factor cannot be removed on its own (a phone number is changed in the directory).',
    );
  }
}

/**
 * A customer's factors across every registered source (CustomerFactors), for /me and the agent API: one
 * place that removes a factor, records `factor.removed` and tells the customer on another channel.
 */
@Injectable()
export class FactorsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly factors: CustomerFactors,
    private readonly audit: AuditService,
    private readonly notifier: CustomerNotifier,
  ) {}

  list(cupid: string): Promise<CustomerFactorSummary[]> {
    return this.factors.list(cupid);
  }

  /** Removes one factor; 404 when the customer has no such factor, 409 when its kind cannot remove it alone. */
  async remove(
    cupid: string,
    kind: string,
    id: string,
    actor: AuditActor,
    reason: string,
    origin: RequestOrigin,
  ): Promise<void> {
    const source = this.factors.source(kind);
    if (!source) throw new NotFoundProblem('No factor of yours has this kind and id.');
    const listed = (await source.list(cupid)).find((factor) => factor.id === id);
    if (!listed) throw new NotFoundProblem('No factor of yours has this kind and id.');
    if (!listed.revocable) throw new FactorNotRevocableError();
    const by = { type: actor.type === 'AGENT' ? ('agent' as const) : ('customer' as const), id: actor.id };
    // The source's revoke is the single-use gate: a concurrent removal makes this one "not found".
    if (!(await source.revoke(cupid, id, by, reason)))
      throw new NotFoundProblem('No factor of yours has this kind and id.');
    await this.dataSource.transaction((tx) =>
      this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.FACTOR_REMOVED,
        outcome: 'SUCCESS',
        actor,
        cupid,
        ip: origin.ip,
        userAgent: origin.userAgent,
        details: { kind, factorId: id, reason },
      }),
    );
    await this.notifier.notify(cupid, 'factor.removed', { kind, label: listed.label });
  }
}
