import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Secret, TOTP } from 'otpauth';
import { DataSource, EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import type { AuditActor } from '../../audit/audit-actor';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { CustomerNotifier } from '../../common/customer-notifier';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { FactorKeys } from '../../keys/factor-keys';
import { TotpCredential, TotpCredentialsRepository } from './totp-credentials.repository';

/** RFC 6238 defaults every authenticator app understands: SHA-1, 6 digits, 30-second steps. */
const PERIOD = 30;
/** One step either side (RFC 6238 §5.2: a clock drift or a code typed as it changed). */
const WINDOW = 1;

/**
 * TOTP (issue 17, item 2). Enrolment creates a credential with a fresh 160-bit secret, sealed at rest, and answers
 * the otpauth:// URI once (issuer = LOGIN_UI_BRAND_NAME, label = the customer's CUPID-free name given by the
 * caller); a first right code confirms it. A code is accepted once: its time step must be later than the last one
 * accepted for the credential (a conditional UPDATE), so a code read over a shoulder cannot be replayed, on this
 * instance or another.
 */
@Injectable()
export class TotpService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly credentials: TotpCredentialsRepository,
    private readonly audit: AuditService,
    private readonly notifier: CustomerNotifier,
    private readonly clock: Clock,
    private readonly factorKeys: FactorKeys,
  ) {}

  private totp(credential: { id: string; secretSealed: Buffer }, label = 'account'): TOTP {
    const raw = this.factorKeys.open(credential.secretSealed, `totp:${credential.id}`);
    const secret = new Secret({ buffer: new Uint8Array(raw).buffer });
    return new TOTP({
      issuer: this.config.loginUi.brandName,
      label,
      secret,
      algorithm: 'SHA1',
      digits: 6,
      period: PERIOD,
    });
  }

  /** A new, unconfirmed credential: its id and the otpauth URI (the only time the secret leaves the service). */
  async enrol(cupid: string, label: string): Promise<{ id: string; otpauthUri: string; secret: string }> {
    const id = randomUUID();
    const secret = new Secret({ size: 20 });
    const secretSealed = this.factorKeys.seal(Buffer.from(secret.bytes), `totp:${id}`);
    await this.credentials.insert(this.dataSource.manager, { id, cupid, secretSealed, at: this.clock.now() });
    const totp = new TOTP({
      issuer: this.config.loginUi.brandName,
      label,
      secret,
      algorithm: 'SHA1',
      digits: 6,
      period: PERIOD,
    });
    return { id, otpauthUri: totp.toString(), secret: secret.base32 };
  }

  /**
   * Checks `code` against the credential and uses its time step once; true when accepted. The caller's
   * transaction (`manager`) makes the use part of what it records.
   */
  async accept(manager: EntityManager, credential: TotpCredential, code: string): Promise<boolean> {
    if (!/^\d{6}$/.test(code)) return false;
    const now = this.clock.now().getTime();
    // otpauth compares in constant time; the delta says which step matched.
    const delta = this.totp(credential).validate({ token: code, timestamp: now, window: WINDOW });
    if (delta === null) return false;
    const step = Math.floor(now / 1000 / PERIOD) + delta;
    return this.credentials.useStep(manager, credential.id, step, new Date(now));
  }

  /** Confirms an enrolment with its first code: audited and notified. */
  async confirm(
    cupid: string,
    id: string,
    code: string,
    actor: AuditActor,
  ): Promise<'confirmed' | 'invalid' | 'unknown'> {
    const outcome = await this.dataSource.transaction(async (tx) => {
      const credential = await this.credentials.findLive(tx, cupid, id);
      if (!credential || credential.confirmedAt) return 'unknown' as const;
      if (!(await this.accept(tx, credential, code))) {
        await this.audit.record(tx, {
          type: AUDIT_EVENT_TYPES.TOTP_REJECTED,
          outcome: 'FAILURE',
          actor,
          cupid,
          details: { credentialId: id, phase: 'enrolment' },
        });
        return 'invalid' as const;
      }
      await this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.TOTP_ENROLLED,
        outcome: 'SUCCESS',
        actor,
        cupid,
        details: { credentialId: id },
      });
      return 'confirmed' as const;
    });
    if (outcome === 'confirmed') await this.notifier.notify(cupid, 'factor.enrolled', { kind: 'authenticator app' });
    return outcome;
  }

  async listConfirmed(cupid: string, manager: EntityManager = this.dataSource.manager): Promise<TotpCredential[]> {
    return this.credentials.listLive(manager, cupid, true);
  }

  /** Revokes one credential, or all with id null: audited and notified. The number revoked. */
  async revoke(cupid: string, id: string | null, actor: AuditActor, reason: string): Promise<number> {
    const revoked = await this.dataSource.transaction(async (tx) => {
      const ids = await this.credentials.revoke(tx, cupid, id, this.clock.now());
      for (const credentialId of ids)
        await this.audit.record(tx, {
          type: AUDIT_EVENT_TYPES.TOTP_REVOKED,
          outcome: 'SUCCESS',
          actor,
          cupid,
          details: { credentialId, reason },
        });
      return ids.length;
    });
    if (revoked > 0) await this.notifier.notify(cupid, 'factor.removed', { kind: 'authenticator app' });
    return revoked;
  }
}
