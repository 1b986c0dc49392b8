import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { assuranceRank } from '../../common/assurance';
import { secretsEqual, sha256 } from '../../common/crypto';
import { ApiError, DependencyUnavailableError, ValidationFailedError } from '../../common/problem';
import { federationLinkBindingOf } from '../../common/request-origin';
import type { RequestOrigin } from '../../common/request-origin';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { DirectoryUnavailableError, DirectoryUser, UserDirectory } from '../../directory/user-directory.port';
import type { FederationLink } from '../../federation/federation-links.repository';
import { FederationLinksRepository } from '../../federation/federation-links.repository';
import { FederationLinksService } from '../../federation/federation-links.service';
import type { FederationProvider } from '../../federation/federation-providers.repository';
import { FederationProvidersService } from '../../federation/federation-providers.service';
import {
  AuthorizationChecks,
  FederationRelyingParty,
  FederationResponseError,
  UpstreamIdentity,
} from '../../federation/federation-relying-party';
import type { UpstreamTokenSet } from '../../federation/upstream-token-client';
import { FactorKeys } from '../../keys/factor-keys';
import type { AuthContext } from '../auth-context.entity';
import { JourneyFailedError } from '../journey-errors';
import type { JourneyState } from '../policy';
import {
  ContactRun,
  JourneyStep,
  PreparedStep,
  StepContact,
  StepOutcome,
  StepFacts,
  StepRun,
  stepAuditBase,
} from './journey-step';

/** `start`: the customer chose a provider. `callback`: the provider's redirect to /federation/callback, as a query. */
export interface FederatedInput {
  providerId?: string;
  response?: string;
}

/** What the transaction of a started sign-in keeps: which provider, and the request's checks, sealed. */
interface StartedRequest {
  providerId: string;
  checks: AuthorizationChecks;
}

type Plan =
  | { action: 'start'; provider: FederationProvider }
  | {
      action: 'callback';
      provider: FederationProvider;
      checks: AuthorizationChecks;
      query: string;
      linkBinding: string | null;
    };

type Evidence =
  | { url: string; checks: AuthorizationChecks }
  | { refused: FederationResponseError }
  | { identity: UpstreamIdentity; link: FederationLink | null; user: DirectoryUser | null };

/** How long the customer may take at the provider (a bank ID app, a government eID): the token lives this long. */
const AT_PROVIDER_SECONDS = 600;

/**
 * Sign-in through an upstream identity provider (issue 21, item 2). A primary step, offered beside the password
 * when providers are configured (or first, with /oauth2/authorize?idp_hint=<provider>):
 * 1. `start` with a provider's id: the answer is the provider's authorization URL (PKCE S256, state, nonce, by
 *    openid-client) and a new token for this step; the verifier, nonce and state are sealed on the transaction
 *    row (AES-256-GCM under the key-encryption key, the journey bound as associated data), never in a URL.
 * 2. The provider redirects to GET /federation/callback, which hands its query to the hosted login page; the page
 *    posts it here with the token it kept (`callback`). The code is exchanged and the ID token checked (state,
 *    iss, signature, aud, nonce) with no database connection held; so only the browser that started the sign-in
 *    can finish it. Then: an active link of (provider, subject) signs its CUPID in (the directory must still let
 *    them in), going on by policy (a provider that satisfies MFA stands in for the second factor); no link:
 *    the customer proves the CUPID with the password and the policy's factors, and the link is made when the
 *    journey completes; never by matching an email. A provider's error (access_denied) ends the journey, audited.
 */
@Injectable()
export class FederatedStep extends JourneyStep<FederatedInput> {
  readonly kind = 'FEDERATED' as const;
  readonly role = 'primary' as const;
  override readonly passwordless = true;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly providers: FederationProvidersService,
    private readonly links: FederationLinksRepository,
    private readonly linking: FederationLinksService,
    private readonly relyingParty: FederationRelyingParty,
    private readonly directory: UserDirectory,
    private readonly audit: AuditService,
    private readonly factorKeys: FactorKeys,
  ) {
    super();
  }

  maxTries(): number {
    return this.config.otp.maxAttempts;
  }

  /** Offered only when a provider is active (the instance's cached list: no statement on a journey's start). */
  override async availableFor(): Promise<boolean> {
    return (await this.providers.activeProviders()).length > 0;
  }

  /** First when /oauth2/authorize's idp_hint names an active provider (otherwise the usual first step). */
  override async hintedFor(state: JourneyState): Promise<boolean> {
    const hint = state.context.options?.idpHint;
    return !!hint && (await this.providers.activeProviders()).some((provider) => provider.id === hint);
  }

  /** Shown first (idp_hint): the providers to choose from, and the one hinted. */
  override async prepare(context: AuthContext): Promise<PreparedStep> {
    const providers = await this.providers.activeProviders();
    return {
      display: {
        phase: 'CHOOSE_PROVIDER',
        providers: providers.map((provider) => ({ id: provider.id, displayName: provider.displayName })),
        ...(context.options?.idpHint ? { idpHint: context.options.idpHint } : {}),
      },
      maxAttempts: this.maxTries(),
    };
  }

  override async begin(run: StepRun<FederatedInput>): Promise<StepOutcome | StepContact | null> {
    if (run.action === 'start') {
      const provider = run.input.providerId ? await this.providers.find(run.input.providerId, run.manager) : null;
      if (!provider?.active)
        return {
          kind: 'retry-same-token',
          error: new ValidationFailedError([{ field: 'providerId', messages: ['no active provider has this id'] }]),
          countAttempt: false,
        };
      return { kind: 'contact', plan: { action: 'start', provider } satisfies Plan };
    }
    const started = this.openStarted(run);
    if (!started)
      return {
        kind: 'retry-same-token',
        error: new ValidationFailedError([{ field: 'transactionToken', messages: ['start a provider sign-in first'] }]),
        countAttempt: false,
      };
    const provider = await this.providers.find(started.providerId, run.manager);
    if (!provider?.active) return this.refuse(run, started.providerId, 'provider_inactive', null);
    const query = typeof run.input.response === 'string' ? run.input.response : '';
    // SHA-256 of the federation link cookie the callback gives this browser (federation-link-cookie.ts).
    const cookie = federationLinkBindingOf(run.origin, this.config.oidc.issuer, run.state.context.id);
    const linkBinding = cookie ? sha256(cookie).toString('base64url') : null;
    return {
      kind: 'contact',
      plan: { action: 'callback', provider, checks: started.checks, query, linkBinding } satisfies Plan,
    };
  }

  /**
   * The provider, then (after a sign-in) the link and the directory, each with no transaction open: the link is
   * read on its own pooled statement (released before the directory is asked); `complete` checks it again.
   */
  override async contact(run: ContactRun<FederatedInput>): Promise<Evidence> {
    const plan = run.plan as Plan;
    if (plan.action === 'start') return this.relyingParty.authorizationRequest(plan.provider);
    let identity: UpstreamIdentity;
    try {
      identity = await this.relyingParty.exchange(plan.provider, plan.query, plan.checks);
    } catch (error) {
      if (error instanceof FederationResponseError) return { refused: error };
      throw error;
    }
    const link = await this.links.findActiveBySubject(this.dataSource.manager, plan.provider.id, identity.subject);
    const user = link ? await this.directory.findByCupid(link.cupid) : null;
    return { identity, link, user };
  }

  override async abandon(run: StepRun<FederatedInput>, error: unknown): Promise<ApiError | null> {
    // The directory down after the provider answered: the engine's own answer (503, customer directory).
    if (error instanceof DirectoryUnavailableError) return null;
    const plan = run.plan as Plan;
    await this.audit.record(run.manager, {
      ...stepAuditBase(run.state, run.origin),
      type: AUDIT_EVENT_TYPES.FEDERATION_REJECTED,
      outcome: 'FAILURE',
      details: { providerId: plan.provider.id, reason: 'provider_unavailable', error: null },
    });
    return new DependencyUnavailableError('identity provider');
  }

  async complete(run: StepRun<FederatedInput>): Promise<StepOutcome> {
    const plan = run.plan as Plan;
    const evidence = run.evidence as Evidence;
    if ('url' in evidence) {
      const started: StartedRequest = { providerId: plan.provider.id, checks: evidence.checks };
      return {
        kind: 'continue',
        prepared: {
          display: { phase: 'REDIRECT', providerId: plan.provider.id, authorizationUrl: evidence.url },
          challenge: { federation: this.seal(run.state, started) },
          maxAttempts: 1,
          ttlSeconds: AT_PROVIDER_SECONDS,
        },
      };
    }
    if ('refused' in evidence)
      return this.refuse(run, plan.provider.id, evidence.refused.reason, evidence.refused.code);
    const { identity, link, user } = evidence;
    const provider = plan.provider;
    if (!link) {
      // Not linked: the customer proves a CUPID (policy asks the password next); the link is made at the end.
      return {
        kind: 'passed',
        facts: {
          amr: [],
          linkPending: true,
          linkNeedsMfa: provider.satisfiesMfa,
          federatedProvider: provider.id,
          // Sealed: the subject and the provider's tokens wait in the journey's record for the link.
          federatedLink: this.seal(run.state, {
            providerId: provider.id,
            subject: identity.subject,
            displayName: identity.displayName,
            tokenSet: identity.tokenSet,
            linkBinding: plan.action === 'callback' ? plan.linkBinding : null,
          }),
        },
      };
    }
    if (user?.status !== 'ACTIVE') return this.refuse(run, provider.id, 'account_disabled', null, link.cupid);
    const base = { ...stepAuditBase(run.state, run.origin), actor: { type: 'CUSTOMER' as const, id: link.cupid } };
    // Only a provider at loa2 or above stands in for the second factor (a loa1 row from before the admin check
    // would otherwise make a one-factor sign-in count as two, and policy then grants loa2: min_acr bypassed).
    const satisfiesMfa = provider.satisfiesMfa && assuranceRank(provider.acr) >= 2;
    const signedIn = await this.linking.recordSignIn(
      run.manager,
      link,
      { acr: provider.acr, satisfiesMfa },
      { ...base, cupid: link.cupid },
      identity.tokenSet,
    );
    if (!signedIn) return this.refuse(run, provider.id, 'unlinked', null, link.cupid);
    return {
      kind: 'passed',
      facts: {
        amr: satisfiesMfa ? ['fed', 'mfa'] : ['fed'],
        cupid: link.cupid,
        mfaRequired: user.mfaRequired,
        // The provider's sign-in stands in for the second factor only where configured.
        multiFactor: satisfiesMfa,
        federatedProvider: provider.id,
        federatedAcr: satisfiesMfa ? provider.acr : null,
        linkId: link.id,
      },
      transient: { user, accountFailures: 0 },
    };
  }

  /** The customer proved the CUPID after an unlinked provider sign-in: the link is made now (with its tokens). */
  override async onJourneyComplete(tx: EntityManager, state: JourneyState, facts: StepFacts, origin: RequestOrigin) {
    const cupid = state.context.cupid;
    if (facts.linkPending !== true || typeof facts.federatedLink !== 'string' || !cupid) return;
    const pending = this.open<{
      providerId: string;
      subject: string;
      displayName: string | null;
      tokenSet: UpstreamTokenSet;
      linkBinding?: string | null;
    }>(state, facts.federatedLink);
    // Only in the browser that finished the provider's sign-in (federation-link-cookie.ts): a journey handed to
    // someone else (its id and token in a login page URL) signs them in but links nothing to their CUPID.
    const cookie = federationLinkBindingOf(origin, this.config.oidc.issuer, state.context.id);
    const refusal =
      !pending.linkBinding || !cookie || !secretsEqual(sha256(cookie).toString('base64url'), pending.linkBinding)
        ? 'link_other_browser'
        : // Deactivated while the customer proved the CUPID: no link (nor tokens) for a provider taken out of use.
          !(await this.providers.find(pending.providerId, tx))?.active
          ? 'provider_inactive'
          : null;
    if (refusal) {
      await this.audit.record(tx, {
        ...stepAuditBase(state, origin),
        actor: { type: 'CUSTOMER', id: cupid },
        cupid,
        type: AUDIT_EVENT_TYPES.FEDERATION_REJECTED,
        outcome: 'FAILURE',
        details: { providerId: pending.providerId, reason: refusal, error: null },
      });
      return;
    }
    await this.linking.linkFromJourney(
      tx,
      { cupid, providerId: pending.providerId, subject: pending.subject, displayName: pending.displayName },
      { ...stepAuditBase(state, origin), actor: { type: 'CUSTOMER', id: cupid }, cupid },
      pending.tokenSet,
    );
  }

  /** Ends the journey with a clear error, audited (the provider's error code, never a token). */
  private async refuse(
    run: StepRun<FederatedInput>,
    providerId: string,
    reason: string,
    error: string | null,
    cupid?: string,
  ): Promise<StepOutcome> {
    const base = stepAuditBase(run.state, run.origin);
    await this.audit.record(run.manager, {
      ...base,
      ...(cupid ? { actor: { type: 'CUSTOMER' as const, id: cupid }, cupid } : {}),
      type: AUDIT_EVENT_TYPES.FEDERATION_REJECTED,
      outcome: 'FAILURE',
      details: { providerId, reason, error },
    });
    const detail =
      reason === 'provider_error' && error === 'access_denied'
        ? 'The sign-in with the identity provider was cancelled or refused. Start again.'
        : 'The sign-in with the identity provider could not be completed. Start again.';
    return {
      kind: 'failed',
      error: new JourneyFailedError(detail),
      reason: `federated sign-in refused: ${reason}${error ? ` (${error})` : ''}`,
    };
  }

  private openStarted(run: StepRun<FederatedInput>): StartedRequest | null {
    const sealed = run.transaction.challenge.federation;
    if (typeof sealed !== 'string') return null;
    try {
      return this.open<StartedRequest>(run.state, sealed);
    } catch {
      return null;
    }
  }

  seal(state: Pick<JourneyState, 'context'>, value: unknown): string {
    return this.factorKeys
      .seal(Buffer.from(JSON.stringify(value), 'utf8'), sealContext(state.context.id))
      .toString('base64');
  }

  open<T>(state: Pick<JourneyState, 'context'>, sealed: string): T {
    return JSON.parse(
      this.factorKeys.open(Buffer.from(sealed, 'base64'), sealContext(state.context.id)).toString('utf8'),
    ) as T;
  }
}

function sealContext(journeyId: string): string {
  return `federation:journey:${journeyId}`;
}
