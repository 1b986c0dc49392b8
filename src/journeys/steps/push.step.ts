import { randomInt, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { ApiError } from '../../common/problem';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { DevicesRepository } from '../../devices/devices.repository';
import {
  pushAlreadySent,
  pushDenied,
  pushExpired,
  pushNotSent,
  pushNotYetSent,
  pushRejected,
} from '../../mfa/push/push-errors';
import { MfaLockoutService } from '../../mfa/mfa-lockout.service';
import { PushBudget } from '../../mfa/push/push-budget';
import type { PushVerdict } from '../../mfa/push/push-challenge';
import { PushChallengesService } from '../../mfa/push/push-challenges.service';
import { PushDeliveryError, PushSender } from '../../mfa/push/push-sender.port';
import type { JourneyState } from '../policy';
import { ContactRun, JourneyStep, StepContact, StepOutcome, StepRun, stepAuditBase } from './journey-step';
import { refuseWhileMfaLocked } from './mfa-lock';

/** The challenge a send is about to push, kept under the transaction token for a retry (PendingSend). */
interface PendingPush {
  pushChallengeId: string;
  number: number;
  expiresAt: string;
}

/**
 * What the waiting transaction keeps (auth_transactions.challenge, written by the journeys' repository):
 * only which push challenge it waits on. The challenge itself is the push factor's (push_challenges).
 */
interface PushReference {
  pushChallengeId: string;
}

interface PushPlan {
  challenge: PendingPush & { deviceIds: string[] };
  devices: Array<{ name: string; pushAddress: string }>;
  /** The prompt counted against the budgets in the DB phase: kept when delivered, cancelled when not. */
  promptId: string;
  /** The other factors this token offered, still offered to the transaction that follows. */
  choices: string[];
}

/** No device took the push. */
class NoDeviceReached extends Error {}

/**
 * Second factor by push approval. `send` pushes a challenge to the customer's bound devices; the
 * frontend shows a two-digit number which the customer enters on the device (against push fatigue); the
 * device answers with a signature by its bound key (mfa/push/push-answers.service.ts). The challenge and
 * its answer are the push factor's own (push_challenges): once delivered the step opens it through
 * PushChallengesService, and `poll` (long-poll, see the controller) asks that service for the verdict:
 * approve passes; deny, a wrong number or a foreign signature
 * fail the journey; an expired prompt lets the same token send another or choose another factor. Prompts
 * are budgeted (push-budget.ts): the prompt is counted in the engine's first short transaction, under a
 * transaction-scoped per-customer lock; the push goes out with no database connection held; the second
 * short transaction keeps the count (delivered) or the failure path cancels it. A retry with the same token
 * after a failed send pushes the very same challenge (same id, number and idempotency key).
 */
@Injectable()
export class PushStep extends JourneyStep {
  readonly kind = 'PUSH' as const;
  readonly role = 'second-factor' as const;
  /** The device shows the transaction and signs its hash: the one factor that links an approval to a payment. */
  override readonly bindsTransaction = true;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly devices: DevicesRepository,
    private readonly push: PushSender,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly budget: PushBudget,
    private readonly challenges: PushChallengesService,
    private readonly mfaLockout: MfaLockoutService,
  ) {
    super();
  }

  maxTries(): number {
    return 1;
  }

  override async availableFor(state: JourneyState): Promise<boolean> {
    return Boolean(state.context.cupid) && (await this.devices.pushable(state.db, state.context.cupid!)).length > 0;
  }

  override async describe(state: JourneyState): Promise<Record<string, unknown>> {
    return { devices: (await this.devices.pushable(state.db, state.context.cupid!)).map((device) => device.name) };
  }

  override async begin(run: StepRun<unknown>): Promise<StepOutcome | StepContact | null> {
    const locked = await refuseWhileMfaLocked(this.mfaLockout, run, this.kind);
    if (locked) return locked;
    const sent = this.referenceOf(run);
    if (run.action === 'send') {
      // A prompt that expired unanswered may be sent again, within the push budgets.
      const verdict = sent ? await this.challenges.verdict(run.manager, sent.pushChallengeId) : null;
      return verdict && verdict.outcome !== 'expired'
        ? { kind: 'retry-same-token', error: pushAlreadySent(), countAttempt: false }
        : this.planSend(run);
    }
    if (!sent) return { kind: 'retry-same-token', error: pushNotYetSent(), countAttempt: false };
    return null;
  }

  override async contact({ state, origin, plan }: ContactRun<unknown>): Promise<{ delivered: number }> {
    const { challenge, devices } = plan as PushPlan;
    // All devices at once: the step takes one push timeout, not one per device.
    const results = await Promise.allSettled(
      devices.map((device) =>
        this.push.send({
          to: device.pushAddress,
          data: {
            type: 'login-approval',
            pushChallengeId: challenge.pushChallengeId,
            journeyId: state.context.id,
            clientName: state.client.name,
            ip: origin.ip,
            expiresAt: challenge.expiresAt,
            // A step-up for a payment: the device shows what is approved and signs its hash (dynamic linking).
            ...(state.context.options?.transaction
              ? { type: 'transaction-approval', transaction: state.context.options.transaction }
              : {}),
          },
        }),
      ),
    );
    const unexpected = results.find(
      (result) => result.status === 'rejected' && !(result.reason instanceof PushDeliveryError),
    );
    if (unexpected) throw (unexpected as PromiseRejectedResult).reason;
    const delivered = results.filter((result) => result.status === 'fulfilled').length;
    if (delivered === 0) throw new NoDeviceReached();
    return { delivered };
  }

  /** Nothing reached a device: the prompt does not count, and the same token can retry, with the same challenge. */
  override async abandon({ manager, plan }: StepRun<unknown>, error: unknown): Promise<ApiError | null> {
    if (!(error instanceof NoDeviceReached)) return null;
    await this.budget.cancel(manager, (plan as PushPlan).promptId);
    return pushNotSent();
  }

  async complete(run: StepRun<unknown>): Promise<StepOutcome> {
    if (run.plan) return this.recordSend(run, run.plan as PushPlan, run.evidence as { delivered: number });
    const { pushChallengeId } = this.referenceOf(run)!;
    const verdict = await this.challenges.verdict(run.manager, pushChallengeId);
    const { state, manager, origin } = run;
    const base = stepAuditBase(state, origin);
    const finish = async (outcome: PushVerdict['outcome'], result: StepOutcome): Promise<StepOutcome> => {
      await this.audit.record(manager, {
        ...base,
        type: AUDIT_EVENT_TYPES.PUSH_COMPLETED,
        outcome: outcome === 'approved' ? 'SUCCESS' : 'FAILURE',
        details: { pushChallengeId, outcome },
      });
      return result;
    };
    switch (verdict.outcome) {
      case 'approved':
        return finish('approved', {
          kind: 'passed',
          facts: {
            amr: ['swk', 'push'],
            secondFactor: true,
            trustedDeviceId: verdict.deviceId,
            factorDeviceThumbprint: verdict.deviceThumbprint,
            // The device signed this journey's transaction (checked at its answer): loa3 (src/common/assurance.ts).
            transactionBound:
              verdict.transactionHash !== null && verdict.transactionHash === state.context.options?.transaction?.hash,
          },
        });
      case 'denied':
        return finish('denied', { kind: 'failed', error: pushDenied(), reason: 'push denied on the device' });
      case 'rejected':
        return finish('rejected', {
          kind: 'failed',
          error: pushRejected(),
          reason: `push answer rejected: ${verdict.reason}`,
        });
      // Expiry does not end the journey: the same token sends another prompt or, where offered, the SMS code.
      case 'expired':
        return finish('expired', { kind: 'retry-same-token', error: pushExpired(), countAttempt: false });
      case 'waiting':
        return {
          kind: 'pending',
          display: { phase: 'WAITING', number: verdict.number, expiresAt: verdict.expiresAt.toISOString() },
        };
    }
  }

  private referenceOf(run: StepRun<unknown>): PushReference | null {
    const { pushChallengeId } = run.transaction.challenge as Partial<PushReference>;
    return typeof pushChallengeId === 'string' ? { pushChallengeId } : null;
  }

  /**
   * The budgets, then the devices to push to and the challenge: from an earlier try with this token, or a
   * new one kept for the next try. The prompt is counted here, in the DB phase; the send comes after.
   */
  private async planSend({
    state,
    manager,
    origin,
    transaction,
    pending,
  }: StepRun<unknown>): Promise<StepOutcome | StepContact> {
    // The other factors this token offered stay offered, so a refused or expired push can fall back to them.
    const choices = Array.isArray(transaction.challenge.choices) ? (transaction.challenge.choices as string[]) : [];
    const reserved = await this.budget.reserve(
      manager,
      { contextId: state.context.id, cupid: state.context.cupid!, journeyExpiresAt: state.context.expiresAt },
      stepAuditBase(state, origin),
      choices.filter((choice) => choice !== this.kind),
    );
    if ('refused' in reserved) return { kind: 'retry-same-token', error: reserved.refused, countAttempt: false };
    const devices = await this.devices.pushable(manager, state.context.cupid!);
    const now = this.clock.now();
    let kept = pending.read<PendingPush>();
    if (!kept || new Date(kept.expiresAt) <= now) {
      kept = {
        pushChallengeId: randomUUID(),
        number: randomInt(10, 100),
        expiresAt: new Date(now.getTime() + this.config.push.challengeTtlSeconds * 1000).toISOString(),
      };
      await pending.write(kept);
    }
    const challenge: PushPlan['challenge'] = { ...kept, deviceIds: devices.map((device) => device.id) };
    const plan: PushPlan = {
      challenge,
      devices: devices.map((device) => ({ name: device.name, pushAddress: device.pushAddress! })),
      promptId: reserved.promptId,
      choices,
    };
    return { kind: 'contact', plan };
  }

  /**
   * Delivered: the reserved prompt stays counted, the push factor opens the challenge (only now can a
   * device answer it), and the new transaction waits for the answer, knowing only the challenge's id.
   */
  private async recordSend(
    { state, manager, origin }: StepRun<unknown>,
    { challenge, devices, choices }: PushPlan,
    { delivered }: { delivered: number },
  ): Promise<StepOutcome> {
    await this.challenges.open(manager, {
      id: challenge.pushChallengeId,
      contextId: state.context.id,
      cupid: state.context.cupid!,
      deviceIds: challenge.deviceIds,
      number: challenge.number,
      expiresAt: new Date(challenge.expiresAt),
      transactionHash: state.context.options?.transaction?.hash ?? null,
    });
    await this.audit.record(manager, {
      type: AUDIT_EVENT_TYPES.PUSH_SENT,
      outcome: 'SUCCESS',
      ...stepAuditBase(state, origin),
      details: {
        pushChallengeId: challenge.pushChallengeId,
        devices: challenge.deviceIds,
        delivered,
        provider: this.push.name,
      },
    });
    return {
      kind: 'continue',
      prepared: {
        challenge: {
          pushChallengeId: challenge.pushChallengeId,
          ...(choices.length > 0 ? { choices } : {}),
        } satisfies PushReference & { choices?: string[] },
        ttlSeconds: this.config.journeys.contextTtlSeconds,
        display: {
          phase: 'WAITING',
          number: challenge.number,
          expiresAt: challenge.expiresAt,
          devices: devices.map((device) => device.name),
        },
      },
    };
  }
}
