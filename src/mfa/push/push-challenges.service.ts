import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../../common/clock';
import type { PushChallenge, PushVerdict } from './push-challenge';
import { PushChallengesRepository } from './push-challenges.repository';

/**
 * What the journey's push step asks of the push factor: open a challenge once a push reached a device,
 * and the verdict on it later. The factor owns the challenge and the device's answer (STYLE: a factor
 * owns its own state; the journey asks it for a verdict instead of reading its fields). Both run in the
 * caller's short transaction, so the challenge commits with the journey's own step records.
 */
@Injectable()
export class PushChallengesService {
  constructor(
    private readonly challenges: PushChallengesRepository,
    private readonly clock: Clock,
  ) {}

  async open(
    manager: EntityManager,
    challenge: Pick<PushChallenge, 'id' | 'contextId' | 'cupid' | 'deviceIds' | 'number' | 'expiresAt'> &
      Partial<Pick<PushChallenge, 'transactionHash'>>,
  ): Promise<void> {
    await this.challenges.insert(manager, { ...challenge, createdAt: this.clock.now() });
  }

  /**
   * The verdict on a challenge. An unknown id (purged, or in flight across the migration that moved
   * challenges here) counts as expired: the journey may send a new push, never pass on it.
   */
  async verdict(manager: EntityManager, id: string): Promise<PushVerdict> {
    const challenge = await this.challenges.findById(manager, id);
    if (!challenge) return { outcome: 'expired' };
    switch (challenge.status) {
      case 'APPROVED':
        return {
          outcome: 'approved',
          deviceId: challenge.answeredByDeviceId!,
          deviceThumbprint: challenge.answeredByThumbprint!,
          transactionHash: challenge.transactionHash,
        };
      case 'DENIED':
        return { outcome: 'denied' };
      case 'REJECTED':
        return { outcome: 'rejected', reason: challenge.reason ?? 'rejected' };
      case 'EXPIRED':
        return { outcome: 'expired' };
      case 'PENDING': {
        const now = this.clock.now();
        if (challenge.expiresAt > now)
          return { outcome: 'waiting', number: challenge.number, expiresAt: challenge.expiresAt };
        await this.challenges.markExpired(manager, id, now);
        return { outcome: 'expired' };
      }
    }
  }
}
