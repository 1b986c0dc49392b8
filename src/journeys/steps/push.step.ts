import { randomInt, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { DevicesRepository } from '../../devices/devices.repository';
import { pushAlreadySent, pushDenied, pushExpired, pushNotSent, pushNotYetSent, pushRejected } from '../../mfa/push/push-errors';
import { MfaLockoutService } from '../../mfa/mfa-lockout.service';
import { PushBudget } from '../../mfa/push/push-budget';
import type { PushChallenge } from '../../mfa/push/push-challenge';
import { PushDeliveryError, PushSender } from '../../mfa/push/push-sender.port';
import type { JourneyState } from '../policy';
import { JourneyStep, StepOutcome, StepRun, stepAuditBase } from './journey-step';

export type { PushChallenge } from '../../mfa/push/push-challenge';

/**
 * Second factor by push approval. `send` pushes a challenge to the customer's bound devices; the
 * frontend shows a two-digit number which the customer enters on the device (against push fatigue); the
 * device answers with a signature by its bound key (mfa/push/push-answers.service.ts). `poll` (long-poll,
 * see the controller) reports the outcome: approve passes; deny, expiry, a wrong number or a foreign
 * signature fail the journey.
 */
@Injectable()
export class PushStep extends JourneyStep {
  readonly kind = 'PUSH' as const;
  readonly role = 'second-factor' as const;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly devices: DevicesRepository,
    private readonly push: PushSender,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly budget: PushBudget,
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

  async complete(run: StepRun<unknown>): Promise<StepOutcome> {
    const locked = await this.mfaLockout.refusal(run.manager, run.state.context.cupid, stepAuditBase(run.state, run.origin), { step: this.kind, action: run.action });
    if (locked) return { kind: 'retry-same-token', error: locked, countAttempt: false };
    const challenge = (run.transaction.challenge as Partial<PushChallenge>).pushChallengeId ? (run.transaction.challenge as unknown as PushChallenge) : null;
    // A prompt that expired unanswered may be sent again, within the push budgets.
    const expiredUnanswered = challenge && !challenge.decision && new Date(challenge.expiresAt) <= this.clock.now();
    if (run.action === 'send') return challenge && !expiredUnanswered ? { kind: 'retry-same-token', error: pushAlreadySent(), countAttempt: false } : this.send(run);
    if (!challenge) return { kind: 'retry-same-token', error: pushNotYetSent(), countAttempt: false };
    const { state, manager, origin } = run;
    const base = stepAuditBase(state, origin);
    const finish = async (outcome: string, result: StepOutcome): Promise<StepOutcome> => {
      await this.audit.record(manager, { ...base, type: AUDIT_EVENT_TYPES.PUSH_COMPLETED, outcome: outcome === 'approved' ? 'SUCCESS' : 'FAILURE', details: { pushChallengeId: challenge.pushChallengeId, outcome } });
      return result;
    };
    if (challenge.decision === 'approved') {
      return finish('approved', { kind: 'passed', facts: { amr: ['swk', 'push'], secondFactor: true, trustedDeviceId: challenge.answeredBy, factorDeviceThumbprint: challenge.answeredByThumbprint } });
    }
    if (challenge.decision === 'denied') return finish('denied', { kind: 'failed', error: pushDenied(), reason: 'push denied on the device' });
    if (challenge.decision === 'rejected') return finish('rejected', { kind: 'failed', error: pushRejected(), reason: `push answer rejected: ${challenge.reason}` });
    // Expiry does not end the journey: the same token sends another prompt or, where offered, the SMS code.
    if (expiredUnanswered) return finish('expired', { kind: 'retry-same-token', error: pushExpired(), countAttempt: false });
    return { kind: 'pending', display: { phase: 'WAITING', number: challenge.number, expiresAt: challenge.expiresAt } };
  }

  private async send({ state, manager, origin, transaction }: StepRun<unknown>): Promise<StepOutcome> {
    // The other factors this token offered stay offered, so a refused or expired push can fall back to them.
    const choices = Array.isArray(transaction.challenge.choices) ? (transaction.challenge.choices as string[]) : [];
    const refused = await this.budget.refusal(
      manager, { contextId: state.context.id, cupid: state.context.cupid!, journeyExpiresAt: state.context.expiresAt }, stepAuditBase(state, origin),
      choices.filter((choice) => choice !== this.kind),
    );
    if (refused) return { kind: 'retry-same-token', error: refused, countAttempt: false };
    const devices = await this.devices.pushable(manager, state.context.cupid!);
    const now = this.clock.now();
    const challenge: PushChallenge = {
      phase: 'WAITING', pushChallengeId: randomUUID(), number: randomInt(10, 100),
      expiresAt: new Date(now.getTime() + this.config.push.challengeTtlSeconds * 1000).toISOString(), deviceIds: devices.map((device) => device.id), decision: null,
    };
    let delivered = 0;
    for (const device of devices) {
      try {
        await this.push.send({
          to: device.pushAddress!,
          data: { type: 'login-approval', pushChallengeId: challenge.pushChallengeId, journeyId: state.context.id, clientName: state.client.name, ip: origin.ip, expiresAt: challenge.expiresAt },
        });
        delivered += 1;
      } catch (error) {
        if (!(error instanceof PushDeliveryError)) throw error;
      }
    }
    // Thrown: nothing reached a device, so the journey's transaction rolls back and the same token can retry.
    if (delivered === 0) throw pushNotSent();
    await this.budget.recordPrompt(manager, { contextId: state.context.id, cupid: state.context.cupid! });
    await this.audit.record(manager, {
      type: AUDIT_EVENT_TYPES.PUSH_SENT, outcome: 'SUCCESS', actor: { type: 'CUSTOMER', id: state.context.cupid }, cupid: state.context.cupid,
      contextId: state.context.id, clientId: state.client.clientId, ip: origin.ip, userAgent: origin.userAgent,
      details: { pushChallengeId: challenge.pushChallengeId, devices: challenge.deviceIds, delivered, provider: this.push.name },
    });
    return {
      kind: 'continue',
      prepared: {
        challenge: { ...challenge, ...(choices.length > 0 ? { choices } : {}) } as unknown as Record<string, unknown>,
        ttlSeconds: this.config.journeys.contextTtlSeconds,
        display: { phase: 'WAITING', number: challenge.number, expiresAt: challenge.expiresAt, devices: devices.map((device) => device.name) },
      },
    };
  }
}
