import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { FactorKeys } from '../keys/factor-keys';
import { FederationLinksRepository } from './federation-links.repository';
import { FederationProvidersRepository } from './federation-providers.repository';
import { FederationSyncLogRepository } from './federation-sync-log.repository';
import { FederationRefreshTrigger, FederationTokenRefreshesRepository } from './federation-token-refreshes.repository';
import {
  FederationTokenRow,
  FederationTokensRepository,
  FederationTokenState,
  SealedTokenFields,
} from './federation-tokens.repository';
import { UpstreamRefreshError, UpstreamTokenClient, UpstreamTokenSet } from './upstream-token-client';

/** How a refresh ended. `busy`: another caller holds the claim (or the link cannot be refreshed any more). */
export type RefreshOutcome =
  | { status: 'refreshed' }
  | { status: 'busy' }
  | { status: 'superseded' }
  | { status: 'failed'; error: string }
  | { status: 'reconsent_required'; error: string };

/** An upstream access token handed to one of the bank's services: the value goes to the caller only. */
export interface HandedOutToken {
  accessToken: string;
  tokenType: string;
  scope: string;
  expiresAt: Date | null;
}

/** The customer has no active link to the provider (or it holds no tokens, or the provider is deactivated). */
export class NoFederationLinkError extends Error {}
/** The provider refused the link's grant: the customer must consent again (sign in through the provider). */
export class ReconsentRequiredError extends Error {}
/** The provider could not refresh an expired token just now (or another refresh took too long): retry later. */
export class UpstreamUnavailableError extends Error {}

/** Error codes after which only a new consent helps (RFC 6749 §5.2: the grant is invalid, expired or revoked). */
const RECONSENT_ERRORS = new Set(['invalid_grant', 'no_refresh_token', 'unreadable_refresh_token']);
/** How long an on-demand caller waits for another instance's refresh of the same link, as polls. */
const WAIT_POLL_MS = 100;

/**
 * The upstream providers' tokens per federation link (issue 21, item 3). Tokens are sealed at rest with
 * FactorKeys (AES-256-GCM under a key derived from the key-encryption key; the link id and the token's kind are
 * the associated data, so a sealed token copied to another link or column does not open) and the KEK's id is
 * stored beside them. A token value is never logged, audited, written to the sync log or returned by any
 * customer or agent API: only the internal API (`handOut`) returns an access token, to a service.
 *
 * Refresh: a conditional UPDATE claims the link (FederationTokensRepository.claimRefresh), openid-client calls
 * the provider with no connection held, and a compare-and-set writes the result, so two instances never refresh
 * one link at once and a rotated refresh token is never lost. Each refresh is recorded (refresh log, sync log);
 * invalid_grant marks the link needs_reconsent (audited), any other failure refresh_failed (the job retries).
 */
@Injectable()
export class FederationTokensService {
  private readonly logger = new Logger(FederationTokensService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly tokens: FederationTokensRepository,
    private readonly refreshes: FederationTokenRefreshesRepository,
    private readonly links: FederationLinksRepository,
    private readonly providers: FederationProvidersRepository,
    private readonly syncLog: FederationSyncLogRepository,
    private readonly upstream: UpstreamTokenClient,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly factorKeys: FactorKeys,
  ) {}

  /**
   * Stores a link's tokens from the provider's token response (sign-in or consent), in the caller's
   * transaction, replacing any it had; the sync log says so (never the values).
   */
  async store(manager: EntityManager, linkId: string, tokenSet: UpstreamTokenSet): Promise<void> {
    const at = this.clock.now();
    const fields = this.seal(linkId, tokenSet, tokenSet.refresh_token ?? null, at);
    await this.tokens.upsert(manager, linkId, fields, at);
    // New tokens are a new consent: a link that needed one is in order again.
    await this.links.setSyncStatus(manager, linkId, 'ok');
    await this.syncLog.record(
      manager,
      linkId,
      'tokens_stored',
      {
        tokenType: fields.tokenType,
        scope: fields.scope,
        expiresAt: fields.expiresAt?.toISOString() ?? null,
        refreshable: fields.refreshTokenSealed !== null,
        keyId: fields.keyId,
      },
      at,
    );
  }

  /**
   * Refreshes a link's tokens at the provider, unless another caller is refreshing it right now or (with
   * `dueBy`) its access token no longer expires by then (`busy`: read it again). No connection is held during
   * the provider's call.
   */
  async refresh(linkId: string, trigger: FederationRefreshTrigger, dueBy: Date | null = null): Promise<RefreshOutcome> {
    const now = this.clock.now();
    const claim = randomUUID();
    // The claim outlives the provider's call (its timeout) with room to write the answer.
    const until = new Date(now.getTime() + (this.config.federationTokens.upstreamTimeoutSeconds * 3 + 5) * 1000);
    const claimed = await this.tokens.claimRefresh(this.dataSource.manager, linkId, claim, now, until, dueBy);
    if (!claimed) return { status: 'busy' };
    if (!claimed.refreshTokenSealed) return this.failed(claimed, claim, trigger, 'no_refresh_token');
    const provider = await this.providers.findById(this.dataSource.manager, claimed.providerId);
    if (!provider?.active) return this.failed(claimed, claim, trigger, 'provider_inactive');
    let answer: UpstreamTokenSet;
    let refreshToken: string;
    try {
      refreshToken = this.open(claimed.refreshTokenSealed, linkId, 'refresh');
    } catch {
      // Sealed under a key-encryption key this instance no longer has: only a new consent brings a usable one.
      return this.failed(claimed, claim, trigger, 'unreadable_refresh_token');
    }
    try {
      answer = await this.upstream.refresh(provider, refreshToken);
    } catch (error) {
      const code = error instanceof UpstreamRefreshError ? error.code : 'internal_error';
      return this.failed(claimed, claim, trigger, code);
    }
    const at = this.clock.now();
    // A provider that does not rotate refresh tokens keeps the one we have (RFC 6749 §6); it is sealed again so
    // the row's key id holds for both tokens.
    const fields = this.seal(linkId, answer, answer.refresh_token ?? refreshToken, at);
    const written = await this.dataSource.transaction(async (tx) => {
      const stored = await this.tokens.completeRefresh(tx, linkId, claim, claimed.refreshTokenSealed!, fields, at);
      if (!stored) return false;
      await this.refreshes.record(tx, linkId, trigger, null, at);
      await this.syncLog.record(
        tx,
        linkId,
        'tokens_refreshed',
        {
          trigger,
          expiresAt: fields.expiresAt?.toISOString() ?? null,
          scope: fields.scope,
          rotated: answer.refresh_token !== undefined && answer.refresh_token !== refreshToken,
        },
        at,
      );
      if (claimed.syncStatus !== 'ok') await this.links.setSyncStatus(tx, linkId, 'ok');
      return true;
    });
    // Someone stored newer tokens (a new consent) while the provider answered: theirs stand.
    return written ? { status: 'refreshed' } : { status: 'superseded' };
  }

  /**
   * The refresh job's work: links whose access token expires within FEDERATION_REFRESH_AHEAD_SECONDS, a batch
   * at a time, each link visited once per run. Returns the links refreshed.
   */
  async refreshDue(batchSize: number, progress: (done: number) => void = () => undefined): Promise<number> {
    const now = this.clock.now();
    const before = new Date(now.getTime() + this.config.federationTokens.refreshAheadSeconds * 1000);
    let after: string | null = null;
    let refreshed = 0;
    for (;;) {
      const due = await this.tokens.dueForRefresh(this.dataSource.manager, before, now, after, batchSize);
      for (const linkId of due) {
        if ((await this.refresh(linkId, 'job', before)).status === 'refreshed') refreshed += 1;
      }
      if (due.length > 0) progress(refreshed);
      if (due.length < batchSize) return refreshed;
      after = due[due.length - 1];
    }
  }

  /**
   * A fresh upstream access token for a customer's active link to a provider, for one of the bank's services
   * (`clientId`): refreshed first when it expires within FEDERATION_TOKEN_MIN_VALIDITY_SECONDS. When another
   * caller is refreshing the same link, this one waits for its result (one upstream refresh, not two). Audited
   * (client, customer, provider; never the token).
   */
  async handOut(
    clientId: string,
    cupid: string,
    providerId: string,
    origin: { ip?: string | null; userAgent?: string | null } = {},
  ): Promise<HandedOutToken> {
    const deadline = this.clock.now().getTime() + (this.config.federationTokens.upstreamTimeoutSeconds * 3 + 5) * 1000;
    let refreshed = false;
    let lastError: string | null = null;
    let unreadable = false;
    // A deactivated provider's tokens stay sealed where they are: no service gets them, refreshed or not.
    if (!(await this.providers.findById(this.dataSource.manager, providerId))?.active) {
      await this.recordHandOut(clientId, cupid, providerId, null, 'FAILURE', { reason: 'provider_inactive' }, origin);
      throw new NoFederationLinkError();
    }
    for (;;) {
      const state = await this.tokens.findForCustomer(this.dataSource.manager, cupid, providerId);
      if (!state) {
        await this.recordHandOut(clientId, cupid, providerId, null, 'FAILURE', { reason: 'no_link' }, origin);
        throw new NoFederationLinkError();
      }
      if (state.syncStatus === 'needs_reconsent') {
        await this.recordHandOut(
          clientId,
          cupid,
          providerId,
          state.linkId,
          'FAILURE',
          { reason: 'reconsent_required' },
          origin,
        );
        throw new ReconsentRequiredError();
      }
      const now = this.clock.now();
      const minValidUntil = now.getTime() + this.config.federationTokens.handOutMinSeconds * 1000;
      const fresh = !unreadable && (state.expiresAt === null || state.expiresAt.getTime() > minValidUntil);
      const stillValid = !unreadable && (state.expiresAt === null || state.expiresAt.getTime() > now.getTime());
      // After one refresh (or a failed one) the stored token goes out while it is valid at all: a provider whose
      // tokens live less than the margin is not asked again and again.
      if (fresh || ((refreshed || lastError !== null) && stillValid)) {
        const handed = await this.deliver(clientId, state, refreshed, origin);
        if (handed) return handed;
        // Sealed under a key-encryption key this instance no longer has: a refresh reseals it.
        unreadable = true;
      }
      if (refreshed || lastError !== null) {
        await this.recordHandOut(
          clientId,
          cupid,
          providerId,
          state.linkId,
          'FAILURE',
          { reason: 'upstream_unavailable', error: lastError ?? 'no_usable_token' },
          origin,
        );
        throw new UpstreamUnavailableError();
      }
      // Claimed only while still due: a refresh another caller finished since this read is not repeated.
      const outcome = await this.refresh(state.linkId, 'on_demand', unreadable ? null : new Date(minValidUntil));
      if (outcome.status === 'refreshed') {
        refreshed = true;
        unreadable = false;
      } else if (outcome.status === 'failed') lastError = outcome.error;
      else if (outcome.status === 'reconsent_required')
        continue; // the next read sees needs_reconsent
      else if (outcome.status === 'busy' || outcome.status === 'superseded') {
        // Another instance (or request) refreshes this link now: wait for its write, then read again.
        if (this.clock.now().getTime() > deadline) lastError = 'refresh_in_progress';
        else await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
      }
    }
  }

  private async deliver(
    clientId: string,
    state: FederationTokenState,
    refreshed: boolean,
    origin: { ip?: string | null; userAgent?: string | null },
  ): Promise<HandedOutToken | null> {
    let accessToken: string;
    try {
      accessToken = this.open(state.accessTokenSealed, state.linkId, 'access');
    } catch {
      return null;
    }
    const at = this.clock.now();
    await this.dataSource.transaction(async (tx) => {
      await this.tokens.touchLastUsed(tx, state.linkId, at);
      await this.syncLog.record(tx, state.linkId, 'token_handed_out', { clientId, refreshed }, at);
      await this.audit.record(
        tx,
        handOutEvent(clientId, state.cupid, state.providerId, state.linkId, 'SUCCESS', { refreshed }, origin),
      );
    });
    return { accessToken, tokenType: state.tokenType, scope: state.scope, expiresAt: state.expiresAt };
  }

  private async recordHandOut(
    clientId: string,
    cupid: string,
    providerId: string,
    linkId: string | null,
    outcome: 'SUCCESS' | 'FAILURE',
    details: Record<string, unknown>,
    origin: { ip?: string | null; userAgent?: string | null },
  ): Promise<void> {
    await this.dataSource.transaction((tx) =>
      this.audit.record(tx, handOutEvent(clientId, cupid, providerId, linkId, outcome, details, origin)),
    );
  }

  /** A failed refresh: the claim ends, the refresh and the link's new status are recorded in one transaction. */
  private async failed(
    state: FederationTokenState,
    claim: string,
    trigger: FederationRefreshTrigger,
    error: string,
  ): Promise<RefreshOutcome> {
    const reconsent = RECONSENT_ERRORS.has(error);
    const at = this.clock.now();
    this.logger.warn(`refresh of federation link ${state.linkId} (${state.providerId}) failed: ${error}`);
    await this.dataSource.transaction(async (tx) => {
      await this.tokens.releaseClaim(tx, state.linkId, claim);
      await this.refreshes.record(tx, state.linkId, trigger, error, at);
      await this.syncLog.record(tx, state.linkId, 'refresh_failed', { trigger, error }, at);
      if (reconsent) {
        await this.links.setSyncStatus(tx, state.linkId, 'needs_reconsent');
        await this.syncLog.record(tx, state.linkId, 'reconsent_required', { trigger, error }, at);
        await this.audit.record(tx, {
          type: AUDIT_EVENT_TYPES.FEDERATION_RECONSENT_REQUIRED,
          outcome: 'FAILURE',
          actor: { type: 'SYSTEM', id: trigger === 'job' ? 'refresh-federation-tokens' : 'federation-tokens' },
          cupid: state.cupid,
          details: { providerId: state.providerId, linkId: state.linkId, error, trigger },
        });
      } else if (state.syncStatus === 'ok') {
        await this.links.setSyncStatus(tx, state.linkId, 'refresh_failed');
      }
    });
    return reconsent ? { status: 'reconsent_required', error } : { status: 'failed', error };
  }

  private seal(linkId: string, tokenSet: UpstreamTokenSet, refreshToken: string | null, at: Date): SealedTokenFields {
    const keys = this.factorKeys;
    return {
      accessTokenSealed: keys.seal(Buffer.from(tokenSet.access_token, 'utf8'), sealContext(linkId, 'access')),
      refreshTokenSealed: refreshToken
        ? keys.seal(Buffer.from(refreshToken, 'utf8'), sealContext(linkId, 'refresh'))
        : null,
      keyId: keys.keyId(),
      tokenType: tokenSet.token_type,
      scope: tokenSet.scope ?? '',
      expiresAt:
        typeof tokenSet.expires_in === 'number' && tokenSet.expires_in >= 0
          ? new Date(at.getTime() + tokenSet.expires_in * 1000)
          : null,
      metadata: {},
    };
  }

  private open(sealed: Buffer, linkId: string, kind: 'access' | 'refresh'): string {
    return this.factorKeys.open(sealed, sealContext(linkId, kind)).toString('utf8');
  }
}

/** The associated data a token is sealed under: its link and its kind. */
function sealContext(linkId: string, kind: 'access' | 'refresh'): string {
  return `federation:token:${linkId}:${kind}`;
}

function handOutEvent(
  clientId: string,
  cupid: string,
  providerId: string,
  linkId: string | null,
  outcome: 'SUCCESS' | 'FAILURE',
  details: Record<string, unknown>,
  origin: { ip?: string | null; userAgent?: string | null },
) {
  return {
    type: AUDIT_EVENT_TYPES.FEDERATION_TOKEN_HANDED_OUT,
    outcome,
    actor: { type: 'CLIENT' as const, id: clientId },
    clientId,
    cupid,
    ip: origin.ip ?? null,
    userAgent: origin.userAgent ?? null,
    details: { providerId, linkId, ...details },
  };
}

export type { FederationTokenRow };
