import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { randomSecret, sha256 } from '../common/crypto';
import { ApiError } from '../common/problem';
import type { RequestOrigin } from '../common/request-origin';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { DevicesRepository } from '../devices/devices.repository';
import { SessionsService } from '../sessions/sessions.service';
import { AuthorizationCodesService } from '../tokens/authorization-codes.service';
import type { AuthStepKind } from './auth-transaction.entity';
import { AuthContextsRepository } from './auth-contexts.repository';
import { AuthTransactionsRepository } from './auth-transactions.repository';
import { AccessDeniedError, JourneyFailedError } from './journey-errors';
import { Decision, decide, independentSecondFactor, JourneyState } from './policy';
import { JOURNEY_STEPS, JourneyStep, PreparedStep, stepAuditBase } from './steps/journey-step';

export interface NextStep {
  type: AuthStepKind;
  /** When several steps can satisfy the requirement (e.g. second factors), each option. */
  options?: Array<{ type: AuthStepKind } & Record<string, unknown>>;
  [display: string]: unknown;
}

export interface JourneyView {
  journeyId: string;
  status: 'PENDING' | 'COMPLETED';
  nextStep?: NextStep;
  transactionToken?: string;
  transactionExpiresAt?: string;
  authorizationCode?: string;
  /** Where the browser goes when the journey ends: the client's redirect URI with code and state. */
  redirectTo?: string;
  /** A completed step-up: the session's level and methods now (same session), and the approved transaction's hash. */
  acr?: string;
  amr?: string[];
  transactionHash?: string;
  /** A forgot-password journey set the new password: no session, no code; the customer signs in with it. */
  passwordReset?: boolean;
  /**
   * Never in a response body: the provider session cookie the controller sets (ProviderSessionCookieInterceptor)
   * when a journey started by /oauth2/authorize completes. Kept in the sealed retry answer, so a retry after a
   * lost reply sets it again.
   */
  sessionCookie?: string;
}

/** A result decided inside a transaction that must commit before the client hears of it. */
export type Settled = { view: JourneyView } | { error: ApiError };

/**
 * What happens once a step is settled: policy's next move (another step with a fresh transaction token,
 * a session and a one-time authorization code, or the end of the journey). Everything here runs inside
 * the caller's short database transaction and calls no dependency.
 */
@Injectable()
export class JourneyCompletion {
  private readonly steps: JourneyStep[];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOURNEY_STEPS) steps: JourneyStep[],
    private readonly contexts: AuthContextsRepository,
    private readonly transactions: AuthTransactionsRepository,
    private readonly sessions: SessionsService,
    private readonly codes: AuthorizationCodesService,
    private readonly devices: DevicesRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {
    this.steps = steps;
  }

  decide(state: JourneyState): Promise<Decision> {
    return decide(state, this.steps);
  }

  /** Acts on policy's decision; the risk evaluation is the caller's (it calls a vendor, outside any transaction). */
  async advance(tx: EntityManager, state: JourneyState, origin: RequestOrigin, decision: Decision): Promise<Settled> {
    if (decision.next === 'EVALUATE_RISK') throw new Error('the risk evaluation must run before the journey advances');
    if (decision.next === 'FAIL') {
      await this.failJourney(tx, state, decision.reason, origin);
      return {
        error: decision.denied
          ? new AccessDeniedError()
          : new JourneyFailedError('This sign-in cannot continue. Contact support.'),
      };
    }
    if (decision.next === 'COMPLETE')
      return state.context.options?.purpose === 'password_reset'
        ? this.completeReset(tx, state, decision, origin)
        : this.complete(tx, state, decision, origin);
    const issued = await this.issueTransaction(tx, state, decision.steps);
    return { view: { journeyId: state.context.id, status: 'PENDING', ...issued } };
  }

  /**
   * The journey's only valid token from now on (earlier pending ones are voided). With several candidate
   * steps (second factors), the transaction offers each as a choice and the response lists them.
   */
  async issueTransaction(
    tx: EntityManager,
    state: JourneyState,
    candidates: JourneyStep[],
    /** What the step already prepared (a sent code); otherwise the step prepares now. */
    given?: PreparedStep,
  ): Promise<Pick<JourneyView, 'nextStep' | 'transactionToken' | 'transactionExpiresAt'>> {
    const [step] = candidates;
    // Only the newest token is ever valid; a new journey, or a request that spent the only pending one, has none to void.
    if (!state.transient.newJourney && !state.transient.noPendingLeft)
      await this.transactions.voidPending(tx, state.context.id);
    const prepared = given ?? (await step.prepare(state.context, state, tx));
    const now = this.clock.now();
    const ttl = prepared.ttlSeconds ?? this.config.journeys.transactionTtlSeconds;
    const expiresAt = new Date(Math.min(now.getTime() + ttl * 1000, state.context.expiresAt.getTime()));
    const token = randomSecret(32);
    const offersChoice = step.role === 'second-factor' && !given;
    // A primary step with passwordless alternatives: its token may switch to one (choices), nothing more is shown.
    const switchable = step.role === 'primary' && !given && candidates.length > 1;
    const choices = offersChoice || switchable ? candidates.map((candidate) => candidate.kind) : undefined;
    const { unwritten } = state.transient;
    state.transient.unwritten = undefined;
    const withWrites = unwritten
      ? [
          (first: number) => this.contexts.insertFragment(unwritten.journey, first),
          (first: number) => this.audit.fragment(unwritten.audit, first),
        ]
      : [];
    await this.transactions.insert(
      tx,
      {
        contextId: state.context.id,
        step: step.kind,
        tokenHash: sha256(token),
        challenge: { ...(prepared.challenge ?? {}), ...(choices ? { choices } : {}) },
        otpHash: prepared.otpHash ?? null,
        attempts: prepared.attempts ?? 0,
        maxAttempts: prepared.maxAttempts ?? step.maxTries(),
        createdAt: now,
        expiresAt,
      },
      withWrites,
    );
    state.transient.noPendingLeft = false;
    state.transient.newJourney = false;
    // A forgot-password journey shows nothing about the account (not even a masked phone) before a factor passed.
    const reset = state.context.options?.purpose === 'password_reset';
    const options = offersChoice
      ? await Promise.all(
          candidates.map(async (candidate) => ({
            type: candidate.kind,
            ...(reset ? {} : await candidate.describe(state)),
          })),
        )
      : undefined;
    return {
      // A choice is a phase of its own (openapi.yaml: SmsOtpChooseNextStep, PushChooseNextStep).
      nextStep: { type: step.kind, ...(prepared.display ?? {}), ...(options ? { phase: 'CHOOSE', options } : {}) },
      transactionToken: token,
      transactionExpiresAt: expiresAt.toISOString(),
    };
  }

  async failAfterAttempts(
    tx: EntityManager,
    state: JourneyState,
    kind: AuthStepKind,
    origin: RequestOrigin,
  ): Promise<Settled> {
    await this.failJourney(tx, state, `too many failed ${kind} attempts`, origin);
    return { error: new JourneyFailedError('Too many failed attempts. Start again.') };
  }

  async failJourney(tx: EntityManager, state: JourneyState, reason: string, origin: RequestOrigin): Promise<void> {
    await this.transactions.voidPending(tx, state.context.id);
    await this.contexts.fail(tx, state.context.id, reason);
    await this.audit.record(tx, {
      type: AUDIT_EVENT_TYPES.JOURNEY_FAILED,
      outcome: 'FAILURE',
      ...stepAuditBase(state, origin),
      details: { reason },
    });
  }

  /**
   * A forgot-password journey ends without a session or a code (issue 17, item 6): the password was set by its
   * last step; the customer signs in with it. `passwordReset` tells the frontend so.
   */
  private async completeReset(
    tx: EntityManager,
    state: JourneyState,
    { amr }: Extract<Decision, { next: 'COMPLETE' }>,
    origin: RequestOrigin,
  ): Promise<Settled> {
    const { context } = state;
    if (!state.transient.newJourney && !state.transient.noPendingLeft)
      await this.transactions.voidPending(tx, context.id);
    await this.contexts.complete(tx, context.id, this.clock.now(), context.cupid);
    await this.audit.record(tx, {
      type: AUDIT_EVENT_TYPES.JOURNEY_COMPLETED,
      outcome: 'SUCCESS',
      ...stepAuditBase(state, origin),
      details: { amr, purpose: 'password_reset' },
    });
    return { view: { journeyId: context.id, status: 'COMPLETED', passwordReset: true } };
  }

  private async complete(
    tx: EntityManager,
    state: JourneyState,
    { amr, acr, trustedDeviceId, bindingRefused }: Extract<Decision, { next: 'COMPLETE' }>,
    origin: RequestOrigin,
  ): Promise<Settled> {
    const { context, client } = state;
    const { stepUp, transaction } = context.options ?? {};
    // A browser that came through /oauth2/authorize gets the provider session cookie (SSO); only its hash is kept.
    // A session that lacked only consent (single sign-on to a third-party client, issue 16): nothing was
    // authenticated, so the session is joined as single sign-on joins it: auth_time, level and cookie unchanged.
    const consentOnly =
      stepUp !== undefined && state.passed.length > 0 && state.passed.every((entry) => entry.step === 'CONSENT');
    const cookie = context.options?.browser && !consentOnly ? randomSecret(32) : undefined;
    const cookieHash = cookie ? sha256(cookie) : null;
    let session: { id: string; amr: string[]; acr: string | null };
    if (stepUp && consentOnly) {
      if (!(await this.sessions.joinClient(tx, stepUp.sessionId, client))) {
        await this.failJourney(tx, state, 'the session to join has ended', origin);
        return { error: new JourneyFailedError('The session has ended. Sign in again.') };
      }
      session = { id: stepUp.sessionId, amr: stepUp.amr, acr: stepUp.acr };
    } else if (stepUp) {
      // The same session proves more: never a second session (issue 15).
      const raised = await this.sessions.stepUp(tx, stepUp.sessionId, context.cupid!, { amr, acr, cookieHash, client });
      if (!raised) {
        await this.failJourney(tx, state, 'the session to step up has ended', origin);
        return { error: new JourneyFailedError('The session has ended. Sign in again.') };
      }
      session = raised;
      await this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.STEP_UP_COMPLETED,
        outcome: 'SUCCESS',
        actor: { type: 'CUSTOMER', id: context.cupid },
        cupid: context.cupid,
        sessionId: raised.id,
        contextId: context.id,
        clientId: client.clientId,
        ip: origin.ip,
        userAgent: origin.userAgent,
        details: { from: stepUp.acr, to: raised.acr, amr: raised.amr, transactionSha256: transaction?.hash ?? null },
      });
    } else {
      session = await this.sessions.create(tx, {
        cupid: context.cupid!,
        client,
        amr,
        acr,
        contextId: context.id,
        trustedDeviceId,
        ip: origin.ip,
        userAgent: origin.userAgent,
        cookieHash,
      });
    }
    // A step-up for a first-party frontend (POST /me/step-up) has no redirect: its answer is the raised level.
    const code = !context.redirectUri
      ? undefined
      : await this.codes.mint(tx, {
          client,
          sessionId: session.id,
          cupid: context.cupid!,
          redirectUri: context.redirectUri!,
          codeChallenge: context.codeChallenge!,
          nonce: context.nonce,
          scope: grantedScopes(state).join(' '),
          contextId: context.id,
          dpopJkt: context.options?.dpopJkt ?? null,
        });
    if (!state.transient.newJourney && !state.transient.noPendingLeft)
      await this.transactions.voidPending(tx, context.id);
    await this.contexts.complete(tx, context.id, this.clock.now(), context.cupid);
    // What a passed step left for the end (e.g. FEDERATED's link, made only once the CUPID was proven).
    for (const entry of state.passed)
      await this.steps.find((step) => step.kind === entry.step)?.onJourneyComplete(tx, state, entry.facts, origin);
    if (context.deviceKeyThumbprint && independentSecondFactor(state.passed, context.deviceKeyThumbprint)) {
      // A full second factor on a bound device renews its MFA-skip window, unless the device approved it itself.
      await this.devices.recordMfa(tx, context.cupid!, context.deviceKeyThumbprint, this.clock.now());
    }
    await this.audit.record(tx, {
      type: AUDIT_EVENT_TYPES.JOURNEY_COMPLETED,
      outcome: 'SUCCESS',
      actor: { type: 'CUSTOMER', id: context.cupid },
      cupid: context.cupid,
      sessionId: session.id,
      contextId: context.id,
      clientId: client.clientId,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: { amr, acr, ...(bindingRefused ? { deviceBindingRefused: bindingRefused } : {}) },
    });
    const raised = stepUp
      ? { acr: session.acr ?? acr, amr: session.amr, ...(transaction ? { transactionHash: transaction.hash } : {}) }
      : {};
    if (!code) return { view: { journeyId: context.id, status: 'COMPLETED', ...raised } };
    const redirect = new URL(context.redirectUri!);
    redirect.searchParams.set('code', code);
    if (context.state) redirect.searchParams.set('state', context.state);
    redirect.searchParams.set('iss', this.config.oidc.issuer);
    return {
      view: {
        journeyId: context.id,
        status: 'COMPLETED',
        authorizationCode: code,
        redirectTo: redirect.toString(),
        ...raised,
        ...(cookie ? { sessionCookie: cookie } : {}),
      },
    };
  }
}

/**
 * The scopes the tokens carry: those requested, narrowed to what the customer granted at this journey's CONSENT
 * step when it had one (issue 16 item 2); otherwise all requested (consent on record or implied).
 */
function grantedScopes(state: JourneyState): string[] {
  const consented = state.passed.map((entry) => entry.facts.consentedScopes).find(Array.isArray) as
    string[] | undefined;
  const requested = state.context.requestedScopes;
  return consented ? requested.filter((scope) => consented.includes(scope)) : requested;
}
