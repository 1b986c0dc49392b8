import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { randomSecret, sha256 } from '../common/crypto';
import { ApiError, DependencyUnavailableError } from '../common/problem';
import type { RequestOrigin } from '../common/request-origin';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { DirectoryUnavailableError } from '../directory/user-directory.port';
import { DevicesRepository } from '../devices/devices.repository';
import { ClientsService } from '../oauth/clients/clients.service';
import type { OAuthClient } from '../oauth/clients/oauth-client.entity';
import { DrsEvaluation } from '../risk/drs-evaluation.entity';
import { RiskService } from '../risk/risk.service';
import { SessionsService } from '../sessions/sessions.service';
import { AuthorizationCodesService } from '../tokens/authorization-codes.service';
import type { AuthChannel, AuthContext } from './auth-context.entity';
import type { AuthStepKind } from './auth-transaction.entity';
import { AuthContextsRepository } from './auth-contexts.repository';
import { AuthTransactionsRepository } from './auth-transactions.repository';
import {
  AccessDeniedError, InvalidJourneyRequestError, JourneyFailedError, RetryableStepError, StepOutOfOrderError, TransactionInvalidError,
} from './journey-errors';
import { decide, Decision, independentSecondFactor, JourneyState } from './policy';
import { JOURNEY_STEPS, JourneyStep, PreparedStep } from './steps/journey-step';

export interface StartJourney {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  codeChallengeMethod: 'S256';
  scope: string;
  nonce?: string | null;
  state?: string | null;
  channel: AuthChannel;
  deviceId?: string | null;
  deviceData?: Record<string, unknown>;
  /** Bind this device at the end of the journey. */
  bindDevice?: boolean;
  /** This device says it is bound (its key's thumbprint): it will be asked to prove it. */
  deviceKeyThumbprint?: string | null;
  startedBy: 'api' | 'authorize';
}

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
}

/** A result decided inside a transaction that must commit before the client hears of it. */
type Settled = { view: JourneyView } | { error: ApiError };

/**
 * The login state machine. Each request consumes exactly one single-use transaction token, runs one
 * step, and answers with the next step and a fresh token, or with a one-time authorization code when
 * policy has nothing left to ask. Consuming, running and recording happen in one database transaction,
 * so a dependency outage (directory, risk) rolls everything back and the same token can be retried.
 */
@Injectable()
export class JourneyService {
  private readonly steps: Map<AuthStepKind, JourneyStep>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOURNEY_STEPS) steps: JourneyStep[],
    private readonly dataSource: DataSource,
    private readonly contexts: AuthContextsRepository,
    private readonly transactions: AuthTransactionsRepository,
    private readonly clients: ClientsService,
    private readonly risk: RiskService,
    private readonly sessions: SessionsService,
    private readonly codes: AuthorizationCodesService,
    private readonly devices: DevicesRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {
    this.steps = new Map(steps.map((step) => [step.kind, step]));
  }

  /** Validates the relying party's request and opens a journey at its first step. */
  async start(request: StartJourney, origin: RequestOrigin): Promise<JourneyView> {
    const client = await this.validateStart(request);
    return this.settle(() =>
      this.dataSource.transaction(async (tx) => {
        const now = this.clock.now();
        const context = await this.contexts.insert(tx, {
          clientId: client.clientId, channel: request.channel, ipAddress: origin.ip, userAgent: origin.userAgent,
          deviceId: request.deviceId ?? null, deviceData: request.deviceData ?? {}, requestedScopes: request.scope.split(' '),
          bindDevice: request.bindDevice ?? false, deviceKeyThumbprint: request.deviceKeyThumbprint ?? null,
          redirectUri: request.redirectUri, state: request.state ?? null, codeChallenge: request.codeChallenge,
          codeChallengeMethod: 'S256', nonce: request.nonce ?? null, createdAt: now, updatedAt: now,
          expiresAt: new Date(now.getTime() + this.config.journeys.contextTtlSeconds * 1000),
        });
        await this.audit.record(tx, {
          type: AUDIT_EVENT_TYPES.JOURNEY_STARTED, outcome: 'SUCCESS', actor: { type: 'CLIENT', id: client.clientId },
          contextId: context.id, clientId: client.clientId, ip: origin.ip, userAgent: origin.userAgent,
          details: { channel: request.channel, scope: request.scope, startedBy: request.startedBy },
        });
        return this.advance(tx, { context, client, passed: [], risk: null, transient: {}, db: tx }, origin);
      }),
    );
  }

  /** Runs one action of a step (`verify` unless the step has others, e.g. `send`) with its transaction token. */
  async submit(journeyId: string, kind: AuthStepKind, action: string, transactionToken: string, input: unknown, origin: RequestOrigin): Promise<JourneyView> {
    const step = this.steps.get(kind);
    if (!step) throw new InvalidJourneyRequestError(`unknown step ${kind}`);
    return this.settle(() =>
      this.dataSource.transaction(async (tx): Promise<Settled> => {
        const now = this.clock.now();
        const tokenHash = sha256(transactionToken);
        const claimed = await this.transactions.claim(tx, tokenHash, journeyId, kind, now);
        if (!claimed) return this.rejectTransaction(tx, journeyId, kind, tokenHash, now, origin);
        const context = await this.contexts.lockById(tx, journeyId);
        if (!context || context.status !== 'PENDING' || context.expiresAt <= now) {
          return this.rejectTransaction(tx, journeyId, kind, tokenHash, now, origin, 'journey closed');
        }
        const state = await this.loadState(tx, context);
        const outcome = await step.complete({ state, transaction: claimed, action, input, origin, manager: tx });
        switch (outcome.kind) {
          case 'passed': {
            await this.transactions.consume(tx, claimed.id, now, { ...outcome.facts, step: kind });
            if (outcome.facts.cupid && !context.cupid) {
              await this.contexts.identify(tx, context.id, outcome.facts.cupid);
              context.cupid = outcome.facts.cupid;
            }
            state.passed.push({ step: kind, facts: outcome.facts });
            Object.assign(state.transient, outcome.transient ?? {});
            return this.advance(tx, state, origin);
          }
          case 'continue': {
            await this.transactions.consume(tx, claimed.id, now);
            return { view: { journeyId, status: 'PENDING', ...(await this.issueTransaction(tx, state, [step], outcome.prepared)) } };
          }
          case 'retry-new-token': {
            await this.transactions.consume(tx, claimed.id, now);
            const tries = claimed.attempts + 1;
            if (tries >= step.maxTries()) return this.failAfterAttempts(tx, state, kind, origin);
            const retry = await this.issueTransaction(tx, state, [step], { ...(await step.prepare(context, state, tx)), attempts: tries });
            return { error: withRetry(outcome.error, { ...retry, attemptsLeft: step.maxTries() - tries }) };
          }
          case 'retry-same-token': {
            if (!outcome.countAttempt) return { error: outcome.error };
            const attempts = await this.transactions.countAttempt(tx, claimed.id);
            if (attempts >= claimed.maxAttempts) {
              await this.transactions.markFailed(tx, claimed.id);
              return this.failAfterAttempts(tx, state, kind, origin);
            }
            return { error: withRetry(outcome.error, { attemptsLeft: claimed.maxAttempts - attempts }) };
          }
          case 'pending':
            return {
              view: {
                journeyId, status: 'PENDING', nextStep: { type: kind, ...outcome.display }, transactionToken,
                transactionExpiresAt: claimed.expiresAt.toISOString(),
              },
            };
          case 'failed': {
            await this.transactions.consume(tx, claimed.id, now);
            await this.failJourney(tx, state, outcome.reason, origin);
            return { error: outcome.error };
          }
        }
      }),
    );
  }

  private async failAfterAttempts(tx: EntityManager, state: JourneyState, kind: AuthStepKind, origin: RequestOrigin): Promise<Settled> {
    await this.failJourney(tx, state, `too many failed ${kind} attempts`, origin);
    return { error: new JourneyFailedError('Too many failed attempts. Start again.') };
  }

  /** Policy's next move: ask for a step, evaluate risk, complete with a code, or fail. */
  private async advance(tx: EntityManager, state: JourneyState, origin: RequestOrigin): Promise<Settled> {
    let decision = await decide(state, [...this.steps.values()]);
    if (decision.next === 'EVALUATE_RISK') {
      const assessment = await this.risk.assess(tx, {
        contextId: state.context.id, cupid: state.context.cupid!, accountFailures: Number(state.transient.accountFailures ?? 0),
        clientId: state.client.clientId, channel: state.context.channel, ip: origin.ip, userAgent: origin.userAgent,
        deviceId: state.context.deviceId, deviceData: state.context.deviceData,
      });
      state.risk = assessment.recommendation;
      decision = await decide(state, [...this.steps.values()]);
    }
    if (decision.next === 'FAIL') {
      await this.failJourney(tx, state, decision.reason, origin);
      return { error: decision.denied ? new AccessDeniedError() : new JourneyFailedError('This sign-in cannot continue. Contact support.') };
    }
    if (decision.next === 'COMPLETE') return { view: await this.complete(tx, state, decision, origin) };
    if (decision.next !== 'STEP') throw new Error('policy asked for risk evaluation twice');
    const issued = await this.issueTransaction(tx, state, decision.steps);
    return { view: { journeyId: state.context.id, status: 'PENDING', ...issued } };
  }

  /**
   * The journey's only valid token from now on (earlier pending ones are voided). With several candidate
   * steps (second factors), the transaction offers each as a choice and the response lists them.
   */
  private async issueTransaction(
    tx: EntityManager, state: JourneyState, candidates: JourneyStep[],
    /** What the step already prepared (a sent code); otherwise the step prepares now. */
    given?: PreparedStep,
  ): Promise<Pick<JourneyView, 'nextStep' | 'transactionToken' | 'transactionExpiresAt'>> {
    const [step] = candidates;
    await this.transactions.voidPending(tx, state.context.id);
    const prepared = given ?? (await step.prepare(state.context, state, tx));
    const now = this.clock.now();
    const ttl = prepared.ttlSeconds ?? this.config.journeys.transactionTtlSeconds;
    const expiresAt = new Date(Math.min(now.getTime() + ttl * 1000, state.context.expiresAt.getTime()));
    const token = randomSecret(32);
    const offersChoice = step.role === 'second-factor' && !given;
    const choices = offersChoice ? candidates.map((candidate) => candidate.kind) : undefined;
    await this.transactions.insert(tx, {
      contextId: state.context.id, step: step.kind, tokenHash: sha256(token),
      challenge: { ...(prepared.challenge ?? {}), ...(choices ? { choices } : {}) },
      otpHash: prepared.otpHash ?? null, attempts: prepared.attempts ?? 0, maxAttempts: prepared.maxAttempts ?? step.maxTries(),
      createdAt: now, expiresAt,
    });
    const options = offersChoice
      ? await Promise.all(candidates.map(async (candidate) => ({ type: candidate.kind, ...(await candidate.describe(state)) })))
      : undefined;
    return {
      nextStep: { type: step.kind, ...(prepared.display ?? {}), ...(options ? { options } : {}) },
      transactionToken: token,
      transactionExpiresAt: expiresAt.toISOString(),
    };
  }

  private async complete(
    tx: EntityManager, state: JourneyState, { amr, acr, trustedDeviceId, bindingRefused }: Extract<Decision, { next: 'COMPLETE' }>, origin: RequestOrigin,
  ): Promise<JourneyView> {
    const { context, client } = state;
    const session = await this.sessions.create(tx, {
      cupid: context.cupid!, client, amr, acr, contextId: context.id, trustedDeviceId, ip: origin.ip, userAgent: origin.userAgent,
    });
    const code = await this.codes.mint(tx, {
      client, sessionId: session.id, cupid: context.cupid!, redirectUri: context.redirectUri!, codeChallenge: context.codeChallenge!,
      nonce: context.nonce, scope: context.requestedScopes.join(' '), contextId: context.id,
    });
    await this.transactions.voidPending(tx, context.id);
    await this.contexts.complete(tx, context.id, this.clock.now());
    if (context.deviceKeyThumbprint && independentSecondFactor(state.passed, context.deviceKeyThumbprint)) {
      // A full second factor on a bound device renews its MFA-skip window, unless the device approved it itself.
      await this.devices.recordMfa(tx, context.cupid!, context.deviceKeyThumbprint, this.clock.now());
    }
    await this.audit.record(tx, {
      type: AUDIT_EVENT_TYPES.JOURNEY_COMPLETED, outcome: 'SUCCESS', actor: { type: 'CUSTOMER', id: context.cupid },
      cupid: context.cupid, sessionId: session.id, contextId: context.id, clientId: client.clientId, ip: origin.ip,
      userAgent: origin.userAgent, details: { amr, acr, ...(bindingRefused ? { deviceBindingRefused: bindingRefused } : {}) },
    });
    const redirect = new URL(context.redirectUri!);
    redirect.searchParams.set('code', code);
    if (context.state) redirect.searchParams.set('state', context.state);
    redirect.searchParams.set('iss', this.config.oidc.issuer);
    return { journeyId: context.id, status: 'COMPLETED', authorizationCode: code, redirectTo: redirect.toString() };
  }

  private async failJourney(tx: EntityManager, state: JourneyState, reason: string, origin: RequestOrigin): Promise<void> {
    await this.transactions.voidPending(tx, state.context.id);
    await this.contexts.fail(tx, state.context.id, reason);
    await this.audit.record(tx, {
      type: AUDIT_EVENT_TYPES.JOURNEY_FAILED, outcome: 'FAILURE', actor: { type: 'CUSTOMER', id: state.context.cupid },
      cupid: state.context.cupid, contextId: state.context.id, clientId: state.client.clientId, ip: origin.ip,
      userAgent: origin.userAgent, details: { reason },
    });
  }

  private async rejectTransaction(
    tx: EntityManager, journeyId: string, kind: AuthStepKind, tokenHash: Buffer, now: Date, origin: RequestOrigin, closed?: string,
  ): Promise<Settled> {
    const found = await this.transactions.findByTokenHash(tx, tokenHash);
    const reason = closed ?? (!found ? 'unknown' : found.contextId !== journeyId ? 'foreign'
      : found.status === 'CONSUMED' ? 'consumed' : found.status !== 'PENDING' || found.expiresAt <= now ? 'expired' : 'out_of_order');
    await this.audit.record(tx, {
      type: AUDIT_EVENT_TYPES.TRANSACTION_REJECTED, outcome: 'FAILURE', actor: { type: 'CUSTOMER', id: null },
      contextId: found?.contextId === journeyId ? journeyId : null, ip: origin.ip, userAgent: origin.userAgent,
      details: { step: kind, reason, ...(reason === 'foreign' ? { presentedForJourney: journeyId } : {}) },
    });
    // Out of order is the one refusal worth explaining: the token is good, the step is not the one awaited.
    return { error: reason === 'out_of_order' ? new StepOutOfOrderError(found!.step) : new TransactionInvalidError() };
  }

  private async loadState(tx: EntityManager, context: AuthContext): Promise<JourneyState> {
    const client = await this.clients.findActive(context.clientId, tx);
    if (!client) throw new JourneyFailedError('The application that started this sign-in is no longer registered.');
    const passed = (await this.transactions.passedSteps(tx, context.id)).map((entry) => ({ step: entry.step, facts: entry.result as JourneyState['passed'][number]['facts'] }));
    const evaluation = await tx.getRepository(DrsEvaluation).findOne({ where: { contextId: context.id }, order: { createdAt: 'DESC' } });
    return { context, client, passed, risk: evaluation?.recommendation ?? null, transient: {}, db: tx };
  }

  private async validateStart(request: StartJourney): Promise<OAuthClient> {
    const client = await this.clients.findActive(request.clientId);
    if (!client || !client.allowsGrant('authorization_code')) throw new InvalidJourneyRequestError('unknown client, or it may not sign customers in');
    if (!client.redirectUris.includes(request.redirectUri)) throw new InvalidJourneyRequestError('redirect_uri is not registered for this client');
    const scopes = request.scope.split(' ').filter(Boolean);
    const beyond = scopes.filter((scope) => !client.scopes.includes(scope));
    if (scopes.length === 0 || beyond.length > 0) throw new InvalidJourneyRequestError(`scope not allowed for this client: ${beyond.join(' ') || '(empty)'}`);
    return client;
  }

  /** Runs the work; commits what it decided; then answers. Dependency outages become 503. */
  private async settle(work: () => Promise<Settled>): Promise<JourneyView> {
    let settled: Settled;
    try {
      settled = await work();
    } catch (error) {
      if (error instanceof DirectoryUnavailableError) throw new DependencyUnavailableError('customer directory');
      throw error;
    }
    if ('error' in settled) throw settled.error;
    return settled.view;
  }
}

function withRetry(error: ApiError, retry: Record<string, unknown>): ApiError {
  return new RetryableStepError(error.status, error.code, error.title, error.detail, { ...error.extensions, ...retry }, error.retryAfterSeconds, error.headers);
}
