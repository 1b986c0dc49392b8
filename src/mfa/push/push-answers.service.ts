import { HttpStatus, Injectable } from '@nestjs/common';
import { decodeProtectedHeader, JWK } from 'jose';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { ApiError, NotFoundProblem } from '../../common/problem';
import type { RequestOrigin } from '../../common/request-origin';
import { rowsOf } from '../../database/sql';
import { deviceActsAsFactor } from '../../devices/device-factor';
import { verifyDeviceSignature } from '../../devices/device-proof';
import { DevicesRepository } from '../../devices/devices.repository';
import type { PushChallenge } from './push-challenge';
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
      const [pending] = await rowsOf<{
        id: string;
        context_id: string;
        cupid: string | null;
        challenge: PushChallenge;
      }>(
        tx,
        `SELECT t.id, t.context_id, c.cupid, t.challenge FROM auth_transactions t JOIN auth_contexts c ON c.id = t.context_id
          WHERE t.challenge->>'pushChallengeId' = $1 AND t.step = 'PUSH' AND t.status = 'PENDING' FOR UPDATE OF t`,
        [pushChallengeId],
      );
      if (!pending) return { error: new NotFoundProblem('No push challenge is waiting under this id.') };
      const challenge = pending.challenge;
      if (challenge.decision)
        return {
          error: new ApiError(
            HttpStatus.CONFLICT,
            'PUSH_ALREADY_ANSWERED',
            'Already answered',
            'This push challenge was already answered.',
          ),
        };
      if (new Date(challenge.expiresAt) <= this.clock.now())
        return {
          error: new ApiError(HttpStatus.GONE, 'PUSH_EXPIRED', 'Push expired', 'This push challenge has expired.'),
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
        deviceActsAsFactor(device, pending.cupid) &&
        challenge.deviceIds.includes(device.id) &&
        payload.pushChallengeId === pushChallengeId &&
        payload.number === answer.number &&
        payload.decision === answer.decision,
      );
      const wrongNumber = genuine && answer.decision === 'approve' && answer.number !== challenge.number;
      const decision: PushChallenge['decision'] =
        !genuine || wrongNumber ? 'rejected' : answer.decision === 'approve' ? 'approved' : 'denied';
      const reason = !genuine
        ? 'signature not by a bound device of this customer'
        : wrongNumber
          ? 'wrong number'
          : undefined;

      await tx.query(`UPDATE auth_transactions SET challenge = challenge || $2::jsonb WHERE id = $1`, [
        pending.id,
        JSON.stringify({
          decision,
          answeredBy: genuine ? device!.id : null,
          answeredByThumbprint: genuine ? device!.thumbprint : null,
          answeredAt: this.clock.now().toISOString(),
          ...(reason ? { reason } : {}),
        }),
      ]);
      if (genuine) await this.devices.touch(tx, device!.id, this.clock.now());
      await this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.PUSH_ANSWERED,
        outcome: decision === 'approved' ? 'SUCCESS' : 'FAILURE',
        actor: { type: 'CUSTOMER', id: pending.cupid },
        cupid: pending.cupid,
        contextId: pending.context_id,
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

  /** For the frontend's long-poll: waits (holding no connection) until the journey's push is answered. */
  async waitForAnswer(transactionTokenHash: Buffer, waitSeconds: number): Promise<void> {
    if (waitSeconds <= 0) return;
    const [row] = await rowsOf<{ challenge: Partial<PushChallenge> }>(
      this.dataSource.manager,
      `SELECT challenge FROM auth_transactions WHERE token_hash = $1 AND step = 'PUSH' AND status = 'PENDING'`,
      [transactionTokenHash],
    );
    const challenge = row?.challenge;
    if (!challenge?.pushChallengeId || challenge.decision) return;
    const untilExpiry = new Date(challenge.expiresAt!).getTime() - this.clock.now().getTime();
    await this.decisions.waitFor(
      challenge.pushChallengeId,
      Math.max(0, Math.min(waitSeconds * 1000, untilExpiry + 50)),
    );
  }
}
