import { OutboxService } from '../../outbox/outbox.service';
import { securityEventMessage, SET_EVENT_TYPES } from '../../outbox/security-events';
import { HttpStatus, Injectable } from '@nestjs/common';
import type { JWK } from 'jose';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { randomSecret } from '../../common/crypto';
import { ApiError } from '../../common/problem';
import { isDevicePublicKey, publicPart, thumbprint, verifyDeviceSignature } from '../../devices/device-proof';
import { DevicesRepository } from '../../devices/devices.repository';
import { independentSecondFactor, JourneyState } from '../policy';
import { JourneyStep, PreparedStep, StepOutcome, StepRun } from './journey-step';

export interface DeviceBindInput {
  publicKey: unknown;
  /** Compact JWS (ES256) by the new key over {"challenge": "...", "journeyId": "..."}. */
  proof: string;
  name: string;
  platform?: string;
  pushAddress?: string;
}

const invalidProof = () =>
  new ApiError(
    HttpStatus.BAD_REQUEST,
    'DEVICE_PROOF_INVALID',
    'Device proof invalid',
    "The proof must be an ES256 signature by the given P-256 key over this step's challenge.",
  );
const bindNeedsSecondFactor = () =>
  new ApiError(
    HttpStatus.FORBIDDEN,
    'DEVICE_BIND_NEEDS_SECOND_FACTOR',
    'Second factor needed',
    'A device can be bound only after a second factor in the same sign-in. Start again.',
  );
const keyInUse = () =>
  new ApiError(
    HttpStatus.CONFLICT,
    'DEVICE_KEY_IN_USE',
    'Device key in use',
    'This key cannot be bound: generate a new key pair on the device and try again.',
  );

/**
 * Binds this device (when the frontend asked): the device generates a P-256 key pair and proves
 * possession by signing this transaction's challenge; the public key, its RFC 7638 thumbprint, name,
 * platform and push address are stored. A key bound to another customer, or once revoked, is refused.
 */
@Injectable()
export class DeviceBindStep extends JourneyStep<DeviceBindInput> {
  readonly kind = 'DEVICE_BIND' as const;
  readonly role = 'enrolment' as const;

  constructor(
    private readonly devices: DevicesRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly outbox: OutboxService,
  ) {
    super();
  }

  maxTries(): number {
    return 3;
  }

  /** Only after a second factor in this journey (policy.ts): a password alone never creates a factor. */
  override async availableFor(state: JourneyState): Promise<boolean> {
    return (
      state.context.bindDevice &&
      Boolean(state.context.cupid) &&
      !state.passed.some((entry) => entry.step === this.kind) &&
      independentSecondFactor(state.passed, null)
    );
  }

  override async prepare(): Promise<PreparedStep> {
    const challenge = randomSecret(32);
    return { challenge: { challenge }, display: { challenge, alg: 'ES256', keyType: 'EC P-256' } };
  }

  async complete(run: StepRun<DeviceBindInput>): Promise<StepOutcome> {
    const { state, transaction, input, origin, manager } = run;
    const cupid = state.context.cupid!;
    if (!isDevicePublicKey(input.publicKey))
      return { kind: 'retry-same-token', error: invalidProof(), countAttempt: true };
    const payload = await verifyDeviceSignature(input.publicKey, input.proof);
    const expected = (transaction.challenge as { challenge: string }).challenge;
    if (!payload || payload.challenge !== expected || payload.journeyId !== state.context.id) {
      return { kind: 'retry-same-token', error: invalidProof(), countAttempt: true };
    }
    const keyThumbprint = await thumbprint(input.publicKey as JWK);
    const now = this.clock.now();
    // The binding follows the journey's second factor, which starts the device's MFA-skip window; a push that
    // this very key approved does not count (a device cannot vouch for itself).
    const mfaAt = independentSecondFactor(state.passed, keyThumbprint) ? now : null;
    if (!mfaAt) {
      await this.recordRefusal(run, keyThumbprint, 'no second factor in this journey');
      return { kind: 'failed', error: bindNeedsSecondFactor(), reason: 'device binding without a second factor' };
    }
    const details = {
      name: input.name,
      platform: input.platform ?? null,
      pushAddress: input.pushAddress ?? null,
      contextId: state.context.id,
      at: now,
      mfaAt,
    };
    const existing = await this.devices.findByThumbprint(manager, keyThumbprint);
    let deviceId: string;
    if (existing && (existing.cupid !== cupid || existing.status !== 'ACTIVE')) {
      await this.recordRefusal(
        run,
        keyThumbprint,
        existing.cupid !== cupid ? 'bound to another customer' : 'key revoked',
      );
      return { kind: 'retry-same-token', error: keyInUse(), countAttempt: true };
    } else if (existing) {
      deviceId = existing.id;
      await this.devices.rebind(manager, deviceId, details);
    } else {
      deviceId = await this.devices.insert(manager, {
        cupid,
        publicKeyJwk: publicPart(input.publicKey as JWK) as Record<string, unknown>,
        thumbprint: keyThumbprint,
        ...details,
      });
    }
    await this.audit.record(manager, {
      type: AUDIT_EVENT_TYPES.DEVICE_BOUND,
      outcome: 'SUCCESS',
      actor: { type: 'CUSTOMER', id: cupid },
      cupid,
      contextId: state.context.id,
      clientId: state.client.clientId,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: {
        deviceId,
        thumbprint: keyThumbprint,
        name: input.name,
        platform: input.platform ?? null,
        pushEnabled: Boolean(input.pushAddress),
      },
    });
    // Shared Signals: a new credential (CAEP credential-change, create), with the binding's transaction.
    await this.outbox.enqueueDeferred(manager, [
      securityEventMessage({
        type: SET_EVENT_TYPES.CREDENTIAL_CHANGE,
        cupid,
        occurredAt: this.clock.now(),
        claims: { change_type: 'create', credential_type: 'app', initiating_entity: 'user' },
      }),
    ]);
    return { kind: 'passed', facts: { amr: [], trustedDeviceId: deviceId, boundDeviceId: deviceId } };
  }

  /** A refused binding, audited with the key's thumbprint (never the key) and why. */
  private async recordRefusal(
    { state, origin, manager }: StepRun<DeviceBindInput>,
    keyThumbprint: string,
    reason: string,
  ) {
    await this.audit.record(manager, {
      type: AUDIT_EVENT_TYPES.DEVICE_BIND_REFUSED,
      outcome: 'FAILURE',
      actor: { type: 'CUSTOMER', id: state.context.cupid },
      cupid: state.context.cupid,
      contextId: state.context.id,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: { thumbprint: keyThumbprint, reason },
    });
  }
}
