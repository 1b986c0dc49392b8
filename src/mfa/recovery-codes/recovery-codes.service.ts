import { randomInt, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import type { AuditActor } from '../../audit/audit-actor';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { hmacSha256 } from '../../common/crypto';
import { CustomerNotifier } from '../../common/customer-notifier';
import { FactorKeys } from '../../keys/factor-keys';
import { RecoveryCodesRepository } from './recovery-codes.repository';

/** Ten codes per batch (issue 17, item 4). */
export const RECOVERY_CODE_COUNT = 10;
/** No 0/O, 1/I/L: a code read off paper is typed right. 10 characters of 31: ~49 bits each. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

/** `ABCDE-FGHJK`; input is compared without case, spaces or dashes. */
export function normaliseRecoveryCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, '');
}

/**
 * Recovery codes: a batch of ten single-use codes, shown once (only their HMACs are kept), regenerated as a whole;
 * each usable once as a second factor. The factor source lists the batch as one factor ("7 of 10 left").
 */
@Injectable()
export class RecoveryCodesService {
  /** The codes' HMAC key, derived from the key-encryption key. */
  private readonly key: Buffer;

  constructor(
    private readonly dataSource: DataSource,
    private readonly codes: RecoveryCodesRepository,
    private readonly audit: AuditService,
    private readonly notifier: CustomerNotifier,
    private readonly clock: Clock,
    factorKeys: FactorKeys,
  ) {
    this.key = factorKeys.derive('recovery-code');
  }

  private hash(cupid: string, code: string): Buffer {
    return hmacSha256(this.key, `${cupid}:${normaliseRecoveryCode(code)}`);
  }

  /** A new batch (revoking the codes before it): the codes, to show once. Audited and notified. */
  async regenerate(cupid: string, actor: AuditActor): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => {
      const raw = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
      return `${raw.slice(0, 5)}-${raw.slice(5)}`;
    });
    const batchId = randomUUID();
    await this.dataSource.transaction(async (tx) => {
      const revoked = await this.codes.replaceBatch(tx, {
        cupid,
        batchId,
        hashes: codes.map((code) => this.hash(cupid, code)),
        at: this.clock.now(),
      });
      await this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.RECOVERY_CODES_GENERATED,
        outcome: 'SUCCESS',
        actor,
        cupid,
        details: { batchId, count: codes.length, revokedUnused: revoked },
      });
    });
    await this.notifier.notify(cupid, 'recovery_codes.regenerated', {});
    return codes;
  }

  /** Uses a code in the caller's transaction; the number left after it, or null when it is not a live code. */
  async use(manager: EntityManager, cupid: string, code: string): Promise<{ id: string; left: number } | null> {
    const normalised = normaliseRecoveryCode(code);
    if (!/^[A-Z2-9]{10}$/.test(normalised)) return null;
    const id = await this.codes.use(manager, cupid, this.hash(cupid, normalised), this.clock.now());
    if (!id) return null;
    return { id, left: (await this.codes.summary(manager, cupid))?.left ?? 0 };
  }

  summary(cupid: string, manager: EntityManager = this.dataSource.manager) {
    return this.codes.summary(manager, cupid);
  }

  /** Revokes the unused codes: audited and notified. The number revoked. */
  async revokeAll(cupid: string, actor: AuditActor, reason: string): Promise<number> {
    const revoked = await this.dataSource.transaction(async (tx) => {
      const count = await this.codes.revokeAll(tx, cupid, this.clock.now());
      if (count > 0)
        await this.audit.record(tx, {
          type: AUDIT_EVENT_TYPES.RECOVERY_CODES_REVOKED,
          outcome: 'SUCCESS',
          actor,
          cupid,
          details: { count, reason },
        });
      return count;
    });
    if (revoked > 0) await this.notifier.notify(cupid, 'factor.removed', { kind: 'recovery codes' });
    return revoked;
  }
}
