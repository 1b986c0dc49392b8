import { HttpStatus, Injectable } from '@nestjs/common';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { ApiError } from '../../common/problem';
import { EsignRepository } from '../../esign/esign.repository';
import type { JourneyState } from '../policy';
import { JourneyStep, PreparedStep, StepOutcome, StepRun, stepAuditBase } from './journey-step';

export interface EsignInput {
  documentId: string;
  version: string;
  sha256: string;
  accept: boolean;
}

const documentMismatch = () =>
  new ApiError(
    HttpStatus.CONFLICT,
    'DOCUMENT_MISMATCH',
    'Not the document to sign',
    'The document id, version or SHA-256 is not the one awaiting signature. Show the document from nextStep and sign that.',
  );
const declined = () =>
  new ApiError(
    HttpStatus.FORBIDDEN,
    'ESIGN_DECLINED',
    'Document declined',
    'The document was not accepted, so the sign-in cannot continue.',
  );

/**
 * eSign: the customer must accept each active document version they have not signed. The signature
 * records exactly what was shown (id, version, SHA-256 of the content), when, from which IP and device,
 * with the explicit acceptance; the evidence is also in the audit trail. Declining ends the journey.
 */
@Injectable()
export class EsignStep extends JourneyStep<EsignInput> {
  readonly kind = 'ESIGN' as const;
  readonly role = 'consent' as const;

  constructor(
    private readonly esign: EsignRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {
    super();
  }

  maxTries(): number {
    return 3;
  }

  override async availableFor(state: JourneyState): Promise<boolean> {
    return Boolean(state.context.cupid) && (await this.esign.pendingFor(state.db, state.context.cupid!)).length > 0;
  }

  override async prepare(_context: unknown, state: JourneyState): Promise<PreparedStep> {
    const [document] = await this.esign.pendingFor(state.db, state.context.cupid!);
    return { challenge: { document }, display: { document } };
  }

  async complete({ state, transaction, input, origin, manager }: StepRun<EsignInput>): Promise<StepOutcome> {
    const cupid = state.context.cupid!;
    const document = (
      transaction.challenge as {
        document: { documentId: string; version: string; title: string; url: string; sha256: string };
      }
    ).document;
    if (
      input.documentId !== document.documentId ||
      input.version !== document.version ||
      input.sha256.toLowerCase() !== document.sha256
    ) {
      return { kind: 'retry-same-token', error: documentMismatch(), countAttempt: true };
    }
    const base = stepAuditBase(state, origin);
    if (!input.accept) {
      await this.audit.record(manager, {
        ...base,
        type: AUDIT_EVENT_TYPES.ESIGN_DECLINED,
        outcome: 'FAILURE',
        details: { documentId: document.documentId, version: document.version },
      });
      return { kind: 'failed', error: declined(), reason: `declined ${document.documentId} ${document.version}` };
    }
    const signatureId = await this.esign.recordSignature(manager, {
      cupid,
      document,
      contextId: state.context.id,
      ip: origin.ip,
      userAgent: origin.userAgent,
      deviceId: state.context.deviceId,
      at: this.clock.now(),
    });
    await this.audit.record(manager, {
      ...base,
      type: AUDIT_EVENT_TYPES.ESIGN_SIGNED,
      outcome: 'SUCCESS',
      details: {
        signatureId,
        documentId: document.documentId,
        version: document.version,
        sha256: document.sha256,
        deviceId: state.context.deviceId,
        ip: origin.ip,
        accepted: true,
      },
    });
    return { kind: 'passed', facts: { amr: [], signed: `${document.documentId}@${document.version}` } };
  }
}
