import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import type { TokenResponse } from '../../tokens/tokens.service';
import { InvalidGrantError } from '../oauth-errors';
import type { GrantOutcome, GrantRequest } from './grant';

/** Records a refused grant (inside the grant's transaction) and turns outcomes into responses. */
@Injectable()
export class GrantRefusals {
  constructor(private readonly audit: AuditService) {}

  async refuse(
    manager: EntityManager,
    request: GrantRequest,
    grantType: string,
    reason: string,
    subject: { cupid?: string | null; sessionId?: string | null } = {},
  ): Promise<GrantOutcome> {
    await this.audit.record(manager, {
      type: AUDIT_EVENT_TYPES.TOKEN_REQUEST_REJECTED,
      outcome: 'FAILURE',
      actor: { type: 'CLIENT', id: request.client.clientId },
      clientId: request.client.clientId,
      cupid: subject.cupid,
      sessionId: subject.sessionId,
      ip: request.origin.ip,
      userAgent: request.origin.userAgent,
      details: { grantType, error: 'invalid_grant', reason },
    });
    return { refused: reason };
  }

  /** The tokens, or the RFC 6749 invalid_grant error once the refusal has committed. */
  settle(outcome: GrantOutcome): TokenResponse {
    if ('refused' in outcome) throw new InvalidGrantError(outcome.refused);
    return outcome.tokens;
  }
}
