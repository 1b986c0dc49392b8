import { Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { CustomerFactors, CustomerFactorSource, CustomerFactorSummary } from '../../common/customer-factors';
import { CustomerNotifier } from '../../common/customer-notifier';
import type { RequestOrigin } from '../../common/request-origin';
import { retryTransaction } from '../../database/retry-transaction';
import { PasskeyCredential, PasskeysRepository } from './passkeys.repository';
import type { RegisteredPasskey } from './relying-party';

/** A verified registration (PasskeyRelyingParty.verifyRegistration) to store for a customer under a name. */
export interface PasskeyToStore {
  cupid: string;
  name: string;
  registered: RegisteredPasskey;
}

type Actor = { type: 'customer' | 'agent'; id: string };

/**
 * A customer's passkeys as a factor: registered (after the /me ceremony), listed and revoked by the customer and
 * agents through CustomerFactors (source 'passkey'), each change audited and notified on another channel.
 */
@Injectable()
export class PasskeysService implements CustomerFactorSource, OnModuleInit {
  readonly kind = 'passkey';

  constructor(
    private readonly dataSource: DataSource,
    private readonly passkeys: PasskeysRepository,
    private readonly audit: AuditService,
    private readonly factors: CustomerFactors,
    private readonly notifier: CustomerNotifier,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.factors.register(this);
  }

  async list(cupid: string): Promise<CustomerFactorSummary[]> {
    return (await this.passkeys.listActive(cupid)).map(toSummary);
  }

  /** Stores a verified registration with its audit event; null when the credential id is taken already. */
  async register(passkey: PasskeyToStore, origin: Partial<RequestOrigin>): Promise<PasskeyCredential | null> {
    const id = await retryTransaction(this.dataSource, (tx) => this.record(tx, passkey, origin));
    if (!id) return null;
    await this.notifyEnrolled(passkey.cupid, passkey.name);
    return (await this.passkeys.listActive(passkey.cupid)).find((row) => row.id === id) ?? null;
  }

  /**
   * The registration's writes in the caller's transaction: the credential and its audit event (a duplicate
   * credential id is audited as rejected). The /me endpoint and the journey's PASSKEY_ENROL step both store through
   * here; each tells the customer (`notifyEnrolled`) after its transaction, never inside it (a notice is a network call).
   */
  async record(
    tx: EntityManager,
    { cupid, name, registered }: PasskeyToStore,
    origin: Partial<RequestOrigin> & { contextId?: string; clientId?: string; sessionId?: string },
  ): Promise<string | null> {
    const { userVerified, ...credential } = registered;
    const passkey = { cupid, name, ...credential };
    const inserted = await this.passkeys.insert(tx, { ...passkey, createdAt: this.clock.now() });
    await this.audit.record(tx, {
      type: inserted ? AUDIT_EVENT_TYPES.PASSKEY_REGISTERED : AUDIT_EVENT_TYPES.PASSKEY_REGISTRATION_REJECTED,
      outcome: inserted ? 'SUCCESS' : 'FAILURE',
      actor: { type: 'CUSTOMER', id: passkey.cupid },
      cupid: passkey.cupid,
      contextId: origin.contextId,
      clientId: origin.clientId,
      sessionId: origin.sessionId,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: inserted
        ? {
            passkeyId: inserted,
            aaguid: passkey.aaguid,
            backupEligible: passkey.backupEligible,
            backupState: passkey.backupState,
            transports: passkey.transports,
            userVerified,
          }
        : { reason: 'duplicate' },
    });
    return inserted;
  }

  /** The customer's notice of a new passkey, on another channel (CustomerNotifier). */
  notifyEnrolled(cupid: string, name: string): Promise<void> {
    return this.notifier.notify(cupid, 'factor.enrolled', { factor: 'passkey', name });
  }

  async revoke(cupid: string, id: string, actor: Actor, reason?: string): Promise<boolean> {
    const why = reason ?? (actor.type === 'agent' ? 'revoked by support' : 'removed by the customer');
    const revoked = await retryTransaction(this.dataSource, async (tx) => {
      const done = await this.passkeys.revoke(tx, cupid, id, { at: this.clock.now(), by: by(actor), reason: why });
      if (done) await this.audit.record(tx, revokedEvent(cupid, id, actor, why));
      return done;
    });
    if (revoked) await this.notifier.notify(cupid, 'factor.removed', { factor: 'passkey' });
    return revoked;
  }

  async revokeAll(cupid: string, actor: Actor, reason?: string): Promise<number> {
    const why = reason ?? 'second factors reset';
    const ids = await retryTransaction(this.dataSource, async (tx) => {
      const revoked = await this.passkeys.revokeAll(tx, cupid, { at: this.clock.now(), by: by(actor), reason: why });
      for (const id of revoked) await this.audit.record(tx, revokedEvent(cupid, id, actor, why));
      return revoked;
    });
    if (ids.length > 0) await this.notifier.notify(cupid, 'factor.removed', { factor: 'passkey' });
    return ids.length;
  }
}

function by(actor: Actor): string {
  return `${actor.type}:${actor.id}`;
}

function revokedEvent(cupid: string, passkeyId: string, actor: Actor, reason: string) {
  return {
    type: AUDIT_EVENT_TYPES.PASSKEY_REVOKED,
    outcome: 'SUCCESS' as const,
    actor: { type: actor.type === 'agent' ? ('AGENT' as const) : ('CUSTOMER' as const), id: actor.id },
    cupid,
    details: { passkeyId, reason },
  };
}

function toSummary(passkey: PasskeyCredential): CustomerFactorSummary {
  return {
    kind: 'passkey',
    id: passkey.id,
    label: passkey.name,
    createdAt: passkey.createdAt,
    lastUsedAt: passkey.lastUsedAt,
    revocable: true,
  };
}
