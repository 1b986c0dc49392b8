import { HttpStatus, Injectable } from '@nestjs/common';
import { decodeProtectedHeader, JWK } from 'jose';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { ApiError, NotFoundProblem } from '../../common/problem';
import type { RequestOrigin } from '../../common/request-origin';
import { deviceActsAsFactor } from '../../devices/device-factor';
import { verifyDeviceSignature } from '../../devices/device-proof';
import { DevicesRepository } from '../../devices/devices.repository';
import { PushChallengesRepository } from './push-challenges.repository';
import { PushDecisions } from './push-decisions';

export interface PushAnswer {
  decision: 'approve' | 'deny';
  number: number;
  /** Compact JWS (ES256, header kid = the device key's thumbprint) over {"pushChallengeId", "number", "decision"}. */
  signature: string;
}

/**
 * A bound device answers a push challenge. The answer counts only when signed by the key of one of the
 * customer's active devices the challenge went to, over this challenge id, the number and the decision.
 * A foreign signature or a wrong number is recorded as rejected, which fails the journey's push step.
 */
@Injectable()
export class PushAnswersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly devices: DevicesRepository,
    private readonly challenges: PushChallengesRepository,
    private readonly decisions: PushDecisions,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async answer(
    pushChallengeId: string,
    answer: PushAnswer,
    origin: RequestOrigin,
  ): Promise<{ status: 'approved' | 'denied' }> {
    const outcome = await this.dataSource.transaction(async (tx) => {
      const now = this.clock.now();
      const challenge = await this.challenges.lockById(tx, pushChallengeId);
      if (!challenge) return { error: new NotFoundProblem('No push challenge is waiting under this id.') };
      if (challenge.status === 'EXPIRED' || (challenge.status === 'PENDING' && challenge.expiresAt <= now)) {
        await this.challenges.markExpired(tx, challenge.id, now);
        return {
          error: new ApiError(HttpStatus.GONE, 'PUSH_EXPIRED', 'Push expired', 'This push challenge has expired.'),
        };
      }
      if (challenge.status !== 'PENDING')
        return {
          error: new ApiError(
            HttpStatus.CONFLICT,
            'PUSH_ALREADY_ANSWERED',
            'Already answered',
            'This push challenge was already answered.',
          ),
        };

      let kid: string | undefined;
      try {
        kid = decodeProtectedHeader(answer.signature).kid;
      } catch {
        kid = undefined;
      }
      const device = kid ? await this.devices.findByThumbprint(tx, kid) : null;
      const payload = device ? await verifyDeviceSignature(device.publicKeyJwk as JWK, answer.signature) : null;
      // Only a device bound after a second factor may approve (a password alone never makes a factor).
      const genuine = Boolean(
        device &&
        payload &&
        deviceActsAsFactor(device, challenge.cupid) &&
        challenge.deviceIds.includes(device.id) &&
        payload.pushChallengeId === pushChallengeId &&
        payload.number === answer.number &&
        payload.decision === answer.decision &&
        // Dynamic linking: an approval of a transaction counts only for the transaction the device showed.
        (challenge.transactionHash === null || payload.transactionHash === challenge.transactionHash),
      );
      const wrongNumber = genuine && answer.decision === 'approve' && answer.number !== challenge.number;
      const decision: 'approved' | 'denied' | 'rejected' =
        !genuine || wrongNumber ? 'rejected' : answer.decision === 'approve' ? 'approved' : 'denied';
      const reason = !genuine
        ? 'signature not by a bound device of this customer'
        : wrongNumber
          ? 'wrong number'
          : undefined;

      // The row is locked and pending, so this conditional write is the one answer the challenge gets.
      await this.challenges.recordAnswer(tx, challenge.id, {
        status: decision === 'approved' ? 'APPROVED' : decision === 'denied' ? 'DENIED' : 'REJECTED',
        reason: reason ?? null,
        at: now,
        deviceId: genuine ? device!.id : null,
        thumbprint: genuine ? device!.thumbprint : null,
      });
      if (genuine) await this.devices.touch(tx, device!.id, now);
      await this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.PUSH_ANSWERED,
        outcome: decision === 'approved' ? 'SUCCESS' : 'FAILURE',
        actor: { type: 'CUSTOMER', id: challenge.cupid },
        cupid: challenge.cupid,
        contextId: challenge.contextId,
        ip: origin.ip,
        userAgent: origin.userAgent,
        details: {
          pushChallengeId,
          deviceId: genuine ? device!.id : null,
          decision: answer.decision,
          accepted: decision !== 'rejected',
          reason: reason ?? null,
        },
      });
      await this.decisions.announce(tx, pushChallengeId);
      if (decision === 'rejected') {
        return {
          error: wrongNumber
            ? new ApiError(
                HttpStatus.BAD_REQUEST,
                'WRONG_NUMBER',
                'Wrong number',
                'The number does not match the one shown at sign-in. The sign-in was stopped.',
              )
            : new ApiError(
                HttpStatus.UNAUTHORIZED,
                'SIGNATURE_REJECTED',
                'Signature rejected',
                'The answer is not signed by a device bound for this sign-in.',
              ),
        };
      }
      return { status: decision };
    });
    if ('error' in outcome) throw outcome.error;
    return { status: outcome.status as 'approved' | 'denied' };
  }

  /**
   * For the frontend's long-poll: waits (holding no connection) until the journey's waiting push is
   * answered, or it expires, or `waitSeconds` pass. Answers at once when nothing waits; the journey's
   * own poll then says why, under the transaction token.
   */
  async waitForAnswer(journeyId: string, waitSeconds: number): Promise<void> {
    if (waitSeconds <= 0) return;
    const now = this.clock.now();
    const waiting = await this.challenges.findWaitingForJourney(this.dataSource.manager, journeyId, now);
    if (!waiting) return;
    const untilExpiry = waiting.expiresAt.getTime() - now.getTime();
    await this.decisions.waitFor(waiting.id, Math.max(0, Math.min(waitSeconds * 1000, untilExpiry + 50)));
  }
}
