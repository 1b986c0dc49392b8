import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditActor } from '../audit/audit-actor';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditEvent, AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { FederationLink, FederationLinksRepository } from './federation-links.repository';
import { FederationProvidersRepository } from './federation-providers.repository';
import { FederationSyncLogRepository } from './federation-sync-log.repository';
import { FederationTokensRepository } from './federation-tokens.repository';
import { FederationTokensService } from './federation-tokens.service';
import type { UpstreamTokenSet } from './upstream-token-client';

/** A link as the customer and agents see it: never a token, never the subject's claims. */
export interface FederationLinkView {
  id: string;
  providerId: string;
  providerName: string;
  subject: string;
  displayName: string | null;
  syncStatus: string;
  linkedAt: Date;
  lastSignInAt: Date | null;
}

export class UnknownFederationProviderError extends Error {
  constructor() {
    super('no active federation provider has this id');
  }
}

/** The provider's subject is linked already (to this customer or another): one CUPID per subject. */
export class FederationSubjectLinkedError extends Error {
  constructor() {
    super("this provider's subject is linked already");
  }
}

/** Who and where, for the audit events of a journey (the journey's base fields). */
export type JourneyAuditBase = Omit<AuditEvent, 'type' | 'outcome' | 'details'>;

/**
 * Links of upstream subjects to CUPIDs (issue 21, item 2). A link is made only after the customer proved the
 * CUPID in a journey (password and the policy's factors) or by an agent; never by matching an email. Each link,
 * unlink and sign-in is audited and written to the link's sync log, in the transaction that makes it.
 */
@Injectable()
export class FederationLinksService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly links: FederationLinksRepository,
    private readonly providers: FederationProvidersRepository,
    private readonly syncLog: FederationSyncLogRepository,
    private readonly tokens: FederationTokensService,
    private readonly tokenRows: FederationTokensRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** The customer's active links, with the providers' names. */
  async list(cupid: string): Promise<FederationLinkView[]> {
    const manager = this.dataSource.manager;
    const [links, providers] = await Promise.all([this.links.listActive(manager, cupid), this.providers.list(manager)]);
    const names = new Map(providers.map((provider) => [provider.id, provider.displayName]));
    return links.map((link) => toLinkView(link, names.get(link.providerId) ?? link.providerId));
  }

  /** An agent links a subject to a customer (the agent checked who the customer is, out of band). */
  async linkByAgent(
    cupid: string,
    input: { providerId: string; subject: string; displayName?: string | null },
    actor: AuditActor,
    reason: string,
  ): Promise<FederationLinkView> {
    return this.dataSource.transaction(async (tx) => {
      const provider = await this.providers.findById(tx, input.providerId);
      if (!provider?.active) throw new UnknownFederationProviderError();
      const link = await this.insert(tx, {
        cupid,
        providerId: provider.id,
        subject: input.subject,
        displayName: input.displayName ?? null,
      });
      if (!link) throw new FederationSubjectLinkedError();
      await this.recordLinked(tx, link, 'agent', { actor, cupid }, { reason });
      return toLinkView(link, provider.displayName);
    });
  }

  /**
   * Links at the end of a journey in which the customer proved the CUPID after signing in at the provider (the
   * caller's transaction). null when the subject was linked meanwhile to another CUPID (audited as a conflict);
   * the existing link when it is this customer's already.
   */
  async linkFromJourney(
    tx: EntityManager,
    input: { cupid: string; providerId: string; subject: string; displayName: string | null },
    base: JourneyAuditBase,
    tokenSet?: UpstreamTokenSet,
  ): Promise<FederationLink | null> {
    const link = await this.insert(tx, input);
    if (!link) {
      const existing = await this.links.findActiveBySubject(tx, input.providerId, input.subject);
      if (existing?.cupid === input.cupid) return existing;
      await this.audit.record(tx, {
        ...base,
        type: AUDIT_EVENT_TYPES.FEDERATION_REJECTED,
        outcome: 'FAILURE',
        details: { providerId: input.providerId, reason: 'link_conflict' },
      });
      return null;
    }
    await this.recordLinked(tx, link, 'journey', base);
    if (tokenSet) await this.tokens.store(tx, link.id, tokenSet);
    return link;
  }

  /**
   * A sign-in through an active link passed the FEDERATED step (the caller's transaction): false when the link
   * was removed meanwhile (the removal wins). The provider's tokens are kept for the link (fedtokens).
   */
  async recordSignIn(
    tx: EntityManager,
    link: FederationLink,
    facts: { acr: string; satisfiesMfa: boolean },
    base: JourneyAuditBase,
    tokenSet: UpstreamTokenSet,
  ): Promise<boolean> {
    const at = this.clock.now();
    if (!(await this.links.touchSignIn(tx, link.id, at))) return false;
    await this.syncLog.record(tx, link.id, 'signed_in', { acr: facts.acr, contextId: base.contextId ?? null }, at);
    await this.audit.record(tx, {
      ...base,
      type: AUDIT_EVENT_TYPES.FEDERATION_SIGNED_IN,
      outcome: 'SUCCESS',
      details: { providerId: link.providerId, linkId: link.id, acr: facts.acr, satisfiesMfa: facts.satisfiesMfa },
    });
    await this.tokens.store(tx, link.id, tokenSet);
    return true;
  }

  /** Removes one of the customer's links (by the customer or an agent); false when there is no such active link. */
  async unlink(
    cupid: string,
    linkId: string,
    by: 'customer' | 'agent',
    actor: AuditActor,
    reason?: string,
  ): Promise<boolean> {
    return this.dataSource.transaction(async (tx) => {
      const at = this.clock.now();
      const link = await this.links.unlink(tx, cupid, linkId, at);
      if (!link) return false;
      const tokensDeleted = await this.tokenRows.deleteForLink(tx, link.id);
      await this.syncLog.record(tx, link.id, 'unlinked', { by, tokensDeleted: tokensDeleted > 0 }, at);
      await this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.FEDERATION_UNLINKED,
        outcome: 'SUCCESS',
        actor,
        cupid,
        details: { providerId: link.providerId, linkId: link.id, by, ...(reason ? { reason } : {}) },
      });
      return true;
    });
  }

  private insert(
    tx: EntityManager,
    input: { cupid: string; providerId: string; subject: string; displayName: string | null },
  ): Promise<FederationLink | null> {
    return this.links.insert(tx, { id: randomUUID(), ...input, at: this.clock.now() });
  }

  private async recordLinked(
    tx: EntityManager,
    link: FederationLink,
    by: 'journey' | 'agent',
    base: Partial<JourneyAuditBase> & Pick<AuditEvent, 'actor'>,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    await this.syncLog.record(tx, link.id, 'linked', { by }, link.linkedAt);
    await this.audit.record(tx, {
      ...base,
      cupid: link.cupid,
      type: AUDIT_EVENT_TYPES.FEDERATION_LINKED,
      outcome: 'SUCCESS',
      details: { providerId: link.providerId, linkId: link.id, by, ...extra },
    });
  }
}

export function toLinkView(link: FederationLink, providerName: string): FederationLinkView {
  return {
    id: link.id,
    providerId: link.providerId,
    providerName,
    subject: link.subject,
    displayName: link.displayName,
    syncStatus: link.syncStatus,
    linkedAt: link.linkedAt,
    lastSignInAt: link.lastSignInAt,
  };
}
