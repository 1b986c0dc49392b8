import { Inject, Injectable } from '@nestjs/common';
import type { JWK } from 'jose';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { randomSecret } from '../../common/crypto';
import { verifyDeviceSignature } from '../../devices/device-proof';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { BoundDevice, DevicesRepository } from '../../devices/devices.repository';
import { deviceActsAsFactor, JourneyState } from '../policy';
import { JourneyStep, PreparedStep, StepOutcome, StepRun, stepAuditBase } from './journey-step';

export interface DeviceProofInput {
  /** Compact JWS (ES256) by the bound key over {"challenge": "...", "journeyId": "..."}. */
  proof?: string;
}

const CHALLENGE_SECONDS = 60;

/**
 * A bound device proves possession of its key by signing a fresh challenge of this journey. With a DRS
 * ALLOW, a valid proof stands in for MFA (amr gains `swk`). A stale, reused or wrongly signed proof does
 * not fail the journey: it simply does not count, and MFA comes back.
 */
@Injectable()
export class DeviceProofStep extends JourneyStep<DeviceProofInput> {
  readonly kind = 'DEVICE_PROOF' as const;
  readonly role = 'device-proof' as const;
  /** When the proof does not count, policy offers a second factor next, and SMS needs the customer's phone. */
  override readonly needsCustomer = true;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly devices: DevicesRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {
    super();
  }

  maxTries(): number {
    return 1;
  }

  /** Only an active device of this very customer is asked to prove itself. */
  override async availableFor(state: JourneyState): Promise<boolean> {
    const thumbprint = state.context.deviceKeyThumbprint;
    if (!thumbprint || !state.context.cupid) return false;
    const device = await this.devices.findByThumbprint(state.db, thumbprint);
    return Boolean(device) && this.trustReason(device!, state.context.cupid) === null;
  }

  /**
   * Why this device cannot vouch for the customer now, or null when it can: it must be theirs, active,
   * bound at most TRUSTED_DEVICE_MAX_DAYS ago, and have seen a full second factor within
   * TRUSTED_DEVICE_MFA_DAYS (defaults: 30 days since last MFA, 180 at most; README, configuration).
   */
  private trustReason(device: BoundDevice, cupid: string | null): string | null {
    if (device.status !== 'ACTIVE' || device.cupid !== cupid) return 'device not bound to this customer';
    if (!deviceActsAsFactor(device, cupid)) return 'device bound without a second factor';
    const now = this.clock.now().getTime();
    const day = 86_400_000;
    if (device.createdAt.getTime() < now - this.config.journeys.trustedDeviceMaxDays * day)
      return 'device bound too long ago';
    if ((device.lastMfaAt ?? new Date(0)).getTime() < now - this.config.journeys.trustedDeviceMfaDays * day)
      return 'no second factor on this device recently';
    return null;
  }

  override async prepare(): Promise<PreparedStep> {
    const challenge = randomSecret(32);
    const challengeExpiresAt = new Date(this.clock.now().getTime() + CHALLENGE_SECONDS * 1000).toISOString();
    return { challenge: { challenge, challengeExpiresAt }, display: { challenge, challengeExpiresAt, alg: 'ES256' } };
  }

  async complete({ state, transaction, input, origin, manager }: StepRun<DeviceProofInput>): Promise<StepOutcome> {
    const expected = transaction.challenge as { challenge: string; challengeExpiresAt: string };
    const device = await this.devices.findByThumbprint(manager, state.context.deviceKeyThumbprint ?? '');
    let reason: string | null = device
      ? this.trustReason(device, state.context.cupid)
      : 'device not bound to this customer';
    if (!reason && new Date(expected.challengeExpiresAt) <= this.clock.now()) reason = 'stale challenge';
    if (!reason && device) {
      const payload = await verifyDeviceSignature(device.publicKeyJwk as JWK, String(input.proof ?? ''));
      if (!payload) reason = 'signature not made by the bound key';
      else if (payload.challenge !== expected.challenge || payload.journeyId !== state.context.id)
        reason = 'proof for another challenge';
    }
    const base = stepAuditBase(state, origin);
    if (reason || !device) {
      await this.audit.record(manager, {
        ...base,
        type: AUDIT_EVENT_TYPES.DEVICE_PROOF_REJECTED,
        outcome: 'FAILURE',
        details: { reason, deviceId: device?.id ?? null },
      });
      return { kind: 'passed', facts: { amr: [], deviceVerified: false } };
    }
    await this.devices.touch(manager, device.id, this.clock.now());
    await this.audit.record(manager, {
      ...base,
      type: AUDIT_EVENT_TYPES.DEVICE_PROOF_VERIFIED,
      outcome: 'SUCCESS',
      details: { deviceId: device.id },
    });
    return { kind: 'passed', facts: { amr: ['swk'], deviceVerified: true, trustedDeviceId: device.id } };
  }
}
