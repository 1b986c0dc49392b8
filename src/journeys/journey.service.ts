import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditEvent, AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { Meters } from '../common/meters';
import { withDeferredWrites } from '../database/sql';
import { sha256 } from '../common/crypto';
import { ApiError, DependencyUnavailableError } from '../common/problem';
import type { RequestOrigin } from '../common/request-origin';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { directoryOutage, DirectoryUser, orDirectoryOutage } from '../directory/user-directory.port';
import { ClientsService } from '../clients/clients.service';
import type { OAuthClient } from '../clients/oauth-client.entity';
import type { RiskInput } from '../risk/risk.port';
import { RiskService, RiskVerdict } from '../risk/risk.service';
import type { AuthChannel, AuthContext, JourneyOptions } from './auth-context.entity';
import type { AuthStepKind } from './auth-transaction.entity';
import { AuthContextsRepository } from './auth-contexts.repository';
import { AuthTransactionsRepository, ClaimedTransaction } from './auth-transactions.repository';
import { JourneyCompletion, JourneyView, Settled } from './journey-completion.service';
import { InvalidJourneyRequestError, RetryableStepError } from './journey-errors';
import { JourneyStateLoader } from './journey-state.loader';
import type { Decision, JourneyState } from './policy';
import { JOURNEY_STEPS, JourneyStep, PendingSend, StepFacts, StepOutcome, StepRun } from './steps/journey-step';
import { requestDigest, TokenVault } from './token-vault';
import { PresentedToken, TransactionAnswers } from './transaction-answers.service';

export type { JourneyView, NextStep } from './journey-completion.service';

export interface StartJourney {
  clientId: string;
  /** Absent only for a step-up without a redirect (POST /me/step-up): no code is minted, the answer is the level. */
  redirectUri?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256';
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
  /** What the OIDC request asked (acr, login_hint, step-up binding, transaction): auth_contexts.options. */
  options?: JourneyOptions;
  /** A step-up's customer, known from its session (the password step is skipped). */
  cupid?: string;
}

/**
 * How long a request holds its step between phases: longer than every dependency call a step can make
 * (each bounded by its own timeouts, retries included), so a live request never loses its claim; a claim
 * left by a crashed instance lapses after it, and the token works again.
 */
export function stepLeaseSeconds(config: AppConfig): number {
  const ldap = config.directory.ldap.connectTimeoutMs + config.directory.ldap.timeoutMs;
  const sms = config.sms.timeoutMs * (config.sms.http.retries + 1);
  const push = config.push.timeoutMs * 2;
  // The SMTP adapter bounds the connection, the greeting and each socket wait by EMAIL_TIMEOUT_MS.
  const email = config.email.provider === 'smtp' ? config.email.timeoutMs * 3 : 0;
  // A FEDERATED step's callback: the provider's discovery or keys, its token and userinfo endpoints, each bounded.
  const federation = config.federationTokens.upstreamTimeoutSeconds * 1000 * 3;
  const dependenciesMs = ldap + sms + push + email + federation + config.risk.timeoutMs;
  return Math.max(30, Math.ceil(dependenciesMs / 1000) + 10);
}

/** One request to a step, as the phases pass it along. */
interface StepRequest extends PresentedToken {
  step: JourneyStep;
  input: unknown;
  transactionToken: string;
  /** This request's claim on the token (auth_transactions.claim_id). */
  claimId: string;
}

interface Claimed {
  request: StepRequest;
  state: JourneyState;
  transaction: ClaimedTransaction;
  /** A pass spends the token in the transaction's last statement, with what the step established. */
  consume?: { at: Date; result: Record<string, unknown> };
}

/** What remains after a phase that did not settle: the step's dependency, or the risk evaluation. */
type Due = { kind: 'contact'; plan: unknown } | { kind: 'risk'; facts: StepFacts };
type Phase = Settled | { claimed: Claimed; due: Due };
type Concluded = Settled | { riskDue: StepFacts };

/**
 * The login state machine. Each request spends exactly one single-use transaction token, runs one step,
 * and answers with the next step and a fresh token, or with a one-time authorization code when policy
 * has nothing left to ask.
 *
 * No dependency is ever called inside a database transaction or while a pooled connection is held. A
 * step runs in phases: (1) a short transaction claims the token with a lease, loads the journey and lets
 * the step begin; (2) the step's dependency (directory, SMS, push) is called holding no connection;
 * (3) a short transaction records the outcome; when policy then needs the risk evaluation, the vendor is
 * asked with no connection held and a last short transaction records it and moves on. A dependency
 * failure releases the claim in a short transaction (with its audit) and answers 503: the same token
 * works again. The answer given when a token is spent is kept sealed under the token, so a retry after
 * a lost reply, with the same token and body, gets it again (JOURNEY_RETRY_WINDOW_SECONDS).
 */
@Injectable()
export class JourneyService {
  private readonly steps: Map<AuthStepKind, JourneyStep>;
  private readonly leaseSeconds: number;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOURNEY_STEPS) steps: JourneyStep[],
    private readonly dataSource: DataSource,
    private readonly contexts: AuthContextsRepository,
    private readonly transactions: AuthTransactionsRepository,
    private readonly completion: JourneyCompletion,
    private readonly answers: TransactionAnswers,
    private readonly clients: ClientsService,
    private readonly loader: JourneyStateLoader,
    private readonly risk: RiskService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @Optional() private readonly meters?: Meters,
  ) {
    this.steps = new Map(steps.map((step) => [step.kind, step]));
    this.leaseSeconds = stepLeaseSeconds(config);
  }

  /** Validates the relying party's request and opens a journey at its first step (no dependency is called). */
  async start(request: StartJourney, origin: RequestOrigin): Promise<JourneyView> {
    const client = await this.validateStart(request);
    const now = this.clock.now();
    const context = this.contexts.build({
      clientId: client.clientId,
      channel: request.channel,
      ipAddress: origin.ip,
      userAgent: origin.userAgent,
      deviceId: request.deviceId ?? null,
      deviceData: request.deviceData ?? {},
      requestedScopes: request.scope.split(' '),
      bindDevice: request.bindDevice ?? false,
      deviceKeyThumbprint: request.deviceKeyThumbprint ?? null,
      redirectUri: request.redirectUri ?? null,
      state: request.state ?? null,
      codeChallenge: request.codeChallenge ?? null,
      codeChallengeMethod: request.codeChallenge ? 'S256' : null,
      cupid: request.cupid ?? null,
      options: request.options ?? {},
      nonce: request.nonce ?? null,
      createdAt: now,
      updatedAt: now,
      expiresAt: new Date(now.getTime() + this.config.journeys.contextTtlSeconds * 1000),
    });
    const started: AuditEvent = {
      type: AUDIT_EVENT_TYPES.JOURNEY_STARTED,
      outcome: 'SUCCESS',
      actor: { type: 'CLIENT', id: client.clientId },
      contextId: context.id,
      clientId: client.clientId,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: { channel: request.channel, scope: request.scope, startedBy: request.startedBy },
    };
    const events: AuditEvent[] = [started];
    const stepUp = request.options?.stepUp;
    if (stepUp)
      events.push({
        type: AUDIT_EVENT_TYPES.STEP_UP_STARTED,
        outcome: 'SUCCESS',
        actor: { type: 'CUSTOMER', id: request.cupid },
        cupid: request.cupid,
        sessionId: stepUp.sessionId,
        contextId: context.id,
        clientId: client.clientId,
        ip: origin.ip,
        userAgent: origin.userAgent,
        details: {
          from: stepUp.acr,
          to: request.options?.acr ?? null,
          startedBy: request.startedBy,
          transactionSha256: request.options?.transaction?.hash ?? null,
          reauthenticate: stepUp.reauthenticate === true,
        },
      });
    const state: JourneyState = {
      context,
      client,
      passed: [],
      risk: null,
      transient: { newJourney: true },
      db: this.dataSource.manager,
    };
    if (request.cupid) {
      // A step-up's customer is known from the session; the second factors need their directory entry (the phone),
      // read here with no connection held. A customer the directory no longer lets in cannot step up.
      const customer = await orDirectoryOutage(this.loader.customerByCupid(request.cupid));
      if (customer?.status !== 'ACTIVE') throw new InvalidJourneyRequestError('this customer cannot sign in');
      state.transient.user = customer;
    }
    // Policy decides from the request alone (nothing of this journey is stored yet).
    const decision = await this.completion.decide(state);
    if (decision.next === 'STEP') {
      // The usual start: the journey, its first step's token and the audit event are written by ONE statement
      // (issueTransaction), atomic on its own, so no transaction is opened around it.
      state.transient.unwritten = { journey: context, audit: events };
      return this.settle(() => this.completion.advance(this.dataSource.manager, state, origin, decision));
    }
    return this.settle(() =>
      this.unitOfWork(async (tx) => {
        state.db = tx;
        for (const event of events) await this.audit.record(tx, event);
        await this.contexts.insert(tx, context, this.audit.takeFragment(tx, 24));
        return this.completion.advance(tx, state, origin, decision);
      }),
    );
  }

  /**
   * Whether `transactionToken` is this journey's pending token for the `kind` step: a read that lets the push
   * long-poll wait only for the holder of the journey's token (the journey id alone is no secret).
   */
  async holdsPendingToken(journeyId: string, kind: AuthStepKind, transactionToken: string): Promise<boolean> {
    const found = await this.transactions.findByTokenHash(this.dataSource.manager, sha256(transactionToken));
    return (
      !!found &&
      found.contextId === journeyId &&
      found.step === kind &&
      found.status === 'PENDING' &&
      found.expiresAt > this.clock.now()
    );
  }

  /** Runs one action of a step (`verify` unless the step has others, e.g. `send`) with its transaction token. */
  async submit(
    journeyId: string,
    kind: AuthStepKind,
    action: string,
    transactionToken: string,
    input: unknown,
    origin: RequestOrigin,
  ): Promise<JourneyView> {
    const step = this.steps.get(kind);
    if (!step) throw new InvalidJourneyRequestError(`unknown step ${kind}`);
    const request: StepRequest = {
      journeyId,
      kind,
      step,
      action,
      input,
      origin,
      transactionToken,
      tokenHash: sha256(transactionToken),
      vault: new TokenVault(transactionToken),
      digest: requestDigest(kind, action, input),
      claimId: randomUUID(),
    };
    // Looked up before anything is claimed, holding no connection: steps read the customer from the state.
    const customer = step.needsCustomer ? await this.loader.lookupCustomer(journeyId) : undefined;
    const answer = this.settle(async () => {
      const opened = step.precheck
        ? await this.openByClaim(request, customer)
        : await this.unitOfWork((tx) => this.open(tx, request, customer));
      if (!('claimed' in opened)) return opened;
      try {
        return await this.proceed(opened.claimed, opened.due);
      } catch (error) {
        // A fault between phases (a bug, the database): give the token back so the same token can retry.
        await this.transactions
          .release(this.dataSource.manager, opened.claimed.transaction.id, request.claimId)
          .catch(() => undefined);
        throw error;
      }
    });
    return this.counted(kind, answer);
  }

  /** Phase 1: claim the token (or answer a retry, or refuse), load the journey, let the step begin. */
  private async open(
    tx: EntityManager,
    request: StepRequest,
    customer: { user: DirectoryUser | null } | undefined,
  ): Promise<Phase> {
    const now = this.clock.now();
    const transaction = await this.claim(tx, request, now);
    if (!transaction) return this.answers.replayOrRefuse(tx, request, now);
    if (!isOpen(transaction.context, now)) return this.refuseClosed(tx, request, transaction.id, now);
    const claimed = await this.claimedIn(tx, request, transaction, customer);
    return this.beginAndConclude(tx, claimed, this.runOf(claimed, tx));
  }

  /**
   * Phase 1 for a step with a `precheck`: the claim is one statement, atomic on its own, and the step's reads
   * follow on pooled connections, so the usual way to the dependency opens no transaction (two round trips
   * fewer). Whatever must be recorded (a refusal, a closed journey, a replay) is decided in a transaction, the
   * claim re-checked first as after a dependency. On a fault the claim is given back, as a rollback would.
   */
  private async openByClaim(
    request: StepRequest,
    customer: { user: DirectoryUser | null } | undefined,
  ): Promise<Phase> {
    const db = this.dataSource.manager;
    const now = this.clock.now();
    const transaction = await this.claim(db, request, now);
    if (!transaction) return this.unitOfWork((tx) => this.answers.replayOrRefuse(tx, request, now));
    try {
      if (!isOpen(transaction.context, now))
        return await this.unitOfWork((tx) => this.refuseClosed(tx, request, transaction.id, now));
      const claimed = await this.claimedIn(db, request, transaction, customer);
      const contact = await request.step.precheck!(this.runOf(claimed, db));
      if (contact) return { claimed, due: { kind: 'contact', plan: contact.plan } };
      return await this.unitOfWork(async (tx): Promise<Phase> => {
        const run = await this.resume(tx, claimed);
        return 'error' in run ? run : this.beginAndConclude(tx, claimed, run);
      });
    } catch (error) {
      await this.transactions.release(db, transaction.id, request.claimId).catch(() => undefined);
      throw error;
    }
  }

  /** Claims the request's token for this instance until the lease ends (the step's row, and its journey locked). */
  private claim(manager: EntityManager, request: StepRequest, now: Date): Promise<ClaimedTransaction | null> {
    const leaseUntil = new Date(now.getTime() + this.leaseSeconds * 1000);
    const { tokenHash, journeyId, kind, claimId } = request;
    return this.transactions.claim(manager, tokenHash, journeyId, kind, now, claimId, leaseUntil);
  }

  /** The claim came back on a journey no longer open: the token goes back unspent and the request is refused. */
  private async refuseClosed(
    tx: EntityManager,
    request: StepRequest,
    id: string,
    now: Date,
  ): Promise<{ error: ApiError }> {
    await this.transactions.release(tx, id, request.claimId);
    return this.answers.refuse(tx, request, now, 'journey closed');
  }

  /** The claimed step with its journey's state loaded (and the customer's directory entry, when looked up first). */
  private async claimedIn(
    manager: EntityManager,
    request: StepRequest,
    transaction: ClaimedTransaction,
    customer: { user: DirectoryUser | null } | undefined,
  ): Promise<Claimed> {
    const state = await this.loader.load(manager, transaction.context!, transaction.passed);
    if (customer) state.transient.user = customer.user;
    return { request, state, transaction };
  }

  /** The step begins: its dependency is due, or it concludes in this transaction (and the risk evaluation may be due). */
  private async beginAndConclude(tx: EntityManager, claimed: Claimed, run: StepRun<unknown>): Promise<Phase> {
    const { step } = claimed.request;
    const begun = await step.begin(run);
    if (begun?.kind === 'contact') return { claimed, due: { kind: 'contact', plan: begun.plan } };
    const concluded = await this.conclude(tx, claimed, run, begun ?? (await step.complete(run)));
    return 'riskDue' in concluded ? { claimed, due: { kind: 'risk', facts: concluded.riskDue } } : concluded;
  }

  /** Phases 2 and 3: the dependency with no connection held, the outcome in a short transaction, then risk if due. */
  private async proceed(claimed: Claimed, due: Due): Promise<Settled> {
    let facts: StepFacts;
    if (due.kind === 'contact') {
      const { step } = claimed.request;
      let evidence: unknown;
      try {
        evidence = await step.contact({ ...this.runOf(claimed, undefined), plan: due.plan });
      } catch (error) {
        return this.abandon(claimed, due.plan, error);
      }
      const concluded = await this.unitOfWork(async (tx): Promise<Concluded> => {
        const run = await this.resume(tx, claimed, { plan: due.plan, evidence });
        return 'error' in run ? run : this.conclude(tx, claimed, run, await step.complete(run));
      });
      if (!('riskDue' in concluded)) return concluded;
      facts = concluded.riskDue;
    } else {
      facts = due.facts;
    }
    return this.assessRisk(claimed, facts);
  }

  /** The step passed and policy needs the risk evaluation: the vendor is asked with no connection held. */
  private async assessRisk(claimed: Claimed, facts: StepFacts): Promise<Settled> {
    const input = this.riskInput(claimed);
    const verdict = await this.risk.evaluate(input);
    return this.unitOfWork(async (tx) => {
      const run = await this.resume(tx, claimed);
      if ('error' in run) return run;
      return this.afterRisk(tx, claimed, facts, input, verdict);
    });
  }

  /** Records the verdict, the step's pass and policy's next move, in the current transaction. */
  private async afterRisk(
    tx: EntityManager,
    claimed: Claimed,
    facts: StepFacts,
    input: RiskInput,
    verdict: RiskVerdict,
  ): Promise<Settled> {
    const { state, request } = claimed;
    const assessment = await this.risk.record(tx, input, verdict);
    if (!assessment) return this.kept(tx, claimed, { error: new DependencyUnavailableError('risk evaluation') });
    state.risk = assessment.recommendation;
    // Policy decides from the state in memory (the pass is already in state.passed), so it can decide first.
    const decision = await this.completion.decide(state);
    await this.recordPass(tx, claimed, facts, decision);
    return this.spent(tx, claimed, await this.completion.advance(tx, state, request.origin, decision));
  }

  private riskInput(claimed: Claimed): RiskInput {
    const { state, request } = claimed;
    return {
      contextId: state.context.id,
      cupid: state.context.cupid!,
      accountFailures: state.transient.accountFailures ?? 0,
      clientId: state.client.clientId,
      channel: state.context.channel,
      ip: request.origin.ip,
      userAgent: request.origin.userAgent,
      deviceId: state.context.deviceId,
      deviceData: state.context.deviceData,
    };
  }

  /** The dependency failed: its audit and the release of the token in one short transaction; the same token can retry. */
  private async abandon(claimed: Claimed, plan: unknown, error: unknown): Promise<Settled> {
    const answer = await this.unitOfWork(async (tx) => {
      const said = await claimed.request.step.abandon({ ...this.runOf(claimed, tx), plan }, error);
      await this.transactions.release(tx, claimed.transaction.id, claimed.request.claimId);
      return said ?? directoryOutage(error);
    });
    if (!answer) throw error;
    return { error: answer };
  }

  /** Back in a transaction after a dependency call: the claim must still be this request's, the journey still open. */
  private async resume(
    tx: EntityManager,
    claimed: Claimed,
    extra: Pick<StepRun<unknown>, 'plan' | 'evidence'> = {},
  ): Promise<StepRun<unknown> | { error: ApiError }> {
    const { request, state } = claimed;
    const now = this.clock.now();
    // The step's row and the journey's, locked in one round trip (the step's first).
    const context = await this.transactions.holdClaimAndLockJourney(
      tx,
      request.journeyId,
      claimed.transaction.id,
      request.claimId,
    );
    if (!context) return this.answers.refuse(tx, request, now, 'claim_lapsed');
    if (!isOpen(context, now)) return this.refuseClosed(tx, request, claimed.transaction.id, now);
    state.db = tx;
    return { ...this.runOf(claimed, tx), ...extra };
  }

  /** Records what the step decided, in the current transaction. */
  private async conclude(
    tx: EntityManager,
    claimed: Claimed,
    run: StepRun<unknown>,
    outcome: StepOutcome,
  ): Promise<Concluded> {
    const { state, transaction } = claimed;
    const { step, kind, origin, journeyId } = claimed.request;
    const now = this.clock.now();
    switch (outcome.kind) {
      case 'passed': {
        state.passed.push({ step: kind, facts: outcome.facts });
        Object.assign(state.transient, outcome.transient ?? {});
        if (outcome.facts.cupid && !state.context.cupid) state.context.cupid = outcome.facts.cupid;
        const decision = await this.completion.decide(state);
        if (decision.next === 'EVALUATE_RISK') {
          // The token stays claimed while a risk vendor is asked; the step's own records commit now.
          if (!this.risk.evaluatesLocally) return { riskDue: outcome.facts };
          // Rules that only read PostgreSQL run here, on this transaction's connection: no vendor call, so no
          // reason for a second transaction (and its claim check and journey lock) after this one.
          const input = this.riskInput(claimed);
          return this.afterRisk(tx, claimed, outcome.facts, input, await this.risk.evaluate(input, tx));
        }
        await this.recordPass(tx, claimed, outcome.facts, decision);
        return this.spent(tx, claimed, await this.completion.advance(tx, state, origin, decision));
      }
      case 'continue': {
        await this.transactions.consume(tx, transaction.id, now);
        return this.spent(tx, claimed, {
          view: {
            journeyId,
            status: 'PENDING',
            ...(await this.completion.issueTransaction(tx, state, [step], outcome.prepared)),
          },
        });
      }
      case 'retry-new-token': {
        await this.transactions.consume(tx, transaction.id, now);
        const tries = transaction.attempts + 1;
        if (tries >= step.maxTries())
          return this.spent(tx, claimed, await this.completion.failAfterAttempts(tx, state, kind, origin));
        const retry = await this.completion.issueTransaction(tx, state, [step], {
          ...(await step.prepare(state.context, state, tx)),
          attempts: tries,
        });
        return this.spent(tx, claimed, {
          error: withRetry(outcome.error, { ...retry, attemptsLeft: step.maxTries() - tries }),
        });
      }
      case 'retry-same-token': {
        if (!outcome.countAttempt) return this.kept(tx, claimed, { error: outcome.error });
        const attempts = await this.transactions.countAttempt(tx, transaction.id);
        if (attempts >= transaction.maxAttempts) {
          await this.transactions.markFailed(tx, transaction.id);
          return this.spent(tx, claimed, await this.completion.failAfterAttempts(tx, state, kind, origin));
        }
        return this.kept(tx, claimed, {
          error: withRetry(outcome.error, { attemptsLeft: transaction.maxAttempts - attempts }),
        });
      }
      case 'pending':
        return this.kept(tx, claimed, {
          view: {
            journeyId,
            status: 'PENDING',
            nextStep: { type: kind, ...outcome.display },
            transactionToken: claimed.request.transactionToken,
            transactionExpiresAt: transaction.expiresAt.toISOString(),
          },
        });
      case 'failed': {
        await this.transactions.consume(tx, transaction.id, now);
        await this.completion.failJourney(tx, state, outcome.reason, origin);
        return this.spent(tx, claimed, { error: outcome.error });
      }
    }
  }

  /**
   * Spends the token with what the step established. The journey learns its customer here, unless it
   * completes in this transaction: completing writes the CUPID with the status, in one statement.
   */
  private async recordPass(tx: EntityManager, claimed: Claimed, facts: StepFacts, decision: Decision): Promise<void> {
    // Spent by the transaction's last statement, with the answer it keeps (spent(), below): every pass ends
    // in spent(), in this same transaction, and nothing before it reads the token's state.
    claimed.consume = { at: this.clock.now(), result: { ...facts, step: claimed.request.kind } };
    // The claimed token was the journey's only pending one (issueTransaction voids the others before it
    // issues one), so there is none to void: completing or issuing the next token leaves it to spent().
    claimed.state.transient.noPendingLeft = true;
    if (facts.cupid && decision.next !== 'COMPLETE')
      await this.contexts.identify(tx, claimed.state.context.id, facts.cupid);
  }

  /** The token was spent: its answer is kept, sealed under the token and this request, for a retry after a lost reply. */
  private spent(tx: EntityManager, claimed: Claimed, settled: Settled): Promise<Settled> {
    return this.answers.keep(tx, claimed.request, claimed.transaction.id, settled, this.clock.now(), claimed.consume);
  }

  /** The token stays valid (a wrong code, a push still waiting, a dependency down): the claim is given back. */
  private async kept(tx: EntityManager, claimed: Claimed, settled: Settled): Promise<Settled> {
    await this.transactions.release(tx, claimed.transaction.id, claimed.request.claimId);
    return settled;
  }

  private runOf(claimed: Claimed, tx: EntityManager): StepRun<unknown>;
  private runOf(claimed: Claimed, tx: undefined): Omit<StepRun<unknown>, 'manager' | 'pending'>;
  private runOf(
    claimed: Claimed,
    tx: EntityManager | undefined,
  ): StepRun<unknown> | Omit<StepRun<unknown>, 'manager' | 'pending'> {
    const { request, state, transaction } = claimed;
    const base = { state, transaction, action: request.action, input: request.input, origin: request.origin };
    return tx ? { ...base, manager: tx, pending: this.pendingSend(claimed, tx) } : base;
  }

  private pendingSend(claimed: Claimed, tx: EntityManager): PendingSend {
    const { vault } = claimed.request;
    const { transaction } = claimed;
    return {
      read: <T>() => vault.open<T>('pending-send', transaction.id, transaction.pendingSend),
      write: async <T>(value: T) => {
        transaction.pendingSend = vault.seal('pending-send', transaction.id, value);
        await this.transactions.keepPendingSend(tx, transaction.id, transaction.pendingSend);
      },
    };
  }

  private async validateStart(request: StartJourney): Promise<OAuthClient> {
    const client = await this.clients.findActive(request.clientId);
    if (!client || !client.allowsGrant('authorization_code'))
      throw new InvalidJourneyRequestError('unknown client, or it may not sign customers in');
    // A third-party application never holds the customer's credentials, and its consent is asked only on the
    // hosted page (issue 16): it signs customers in through /oauth2/authorize, never the embedded journey API.
    if (request.startedBy === 'api' && !client.firstParty)
      throw new InvalidJourneyRequestError('a third-party application signs customers in through /oauth2/authorize');
    if (
      request.redirectUri === undefined ? !request.options?.stepUp : !client.redirectUris.includes(request.redirectUri)
    )
      throw new InvalidJourneyRequestError('redirect_uri is not registered for this client');
    const scopes = request.scope.split(' ').filter(Boolean);
    const beyond = scopes.filter((scope) => !client.scopes.includes(scope));
    if (scopes.length === 0 || beyond.length > 0)
      throw new InvalidJourneyRequestError(`scope not allowed for this client: ${beyond.join(' ') || '(empty)'}`);
    return client;
  }

  /**
   * One short transaction of a request: its audit events are collected and written in one insert before it
   * commits (AuditService.unitOfWork), in the same transaction as what they record, and the writes its
   * repositories defer ride with its next statement (withDeferredWrites): fewer round trips, same transaction.
   */
  private unitOfWork<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((tx) => this.audit.unitOfWork(tx, () => withDeferredWrites(tx, () => work(tx))));
  }

  /** Counts a step's answer by its status or problem code (bounded: the problem catalogue), once it is settled. */
  private async counted(kind: AuthStepKind, answer: Promise<JourneyView>): Promise<JourneyView> {
    try {
      const view = await answer;
      this.meters?.journeyStep(kind, view.status);
      return view;
    } catch (error) {
      this.meters?.journeyStep(kind, error instanceof ApiError ? error.code : 'UNEXPECTED_ERROR');
      throw error;
    }
  }

  /** Runs the work; what it decided has committed; then answers. Dependency outages become 503. */
  private async settle(work: () => Promise<Settled>): Promise<JourneyView> {
    let settled: Settled;
    try {
      settled = await work();
    } catch (error) {
      throw directoryOutage(error) ?? error;
    }
    if ('error' in settled) throw settled.error;
    return settled.view;
  }
}

function withRetry(error: ApiError, retry: Record<string, unknown>): ApiError {
  return new RetryableStepError(
    error.status,
    error.code,
    error.title,
    error.detail,
    { ...error.extensions, ...retry },
    error.retryAfterSeconds,
    error.headers,
  );
}

/** The journey a claim returned is still open: pending and unexpired (a claim on a closed one is given back). */
function isOpen(context: AuthContext | null | undefined, now: Date): context is AuthContext {
  return !!context && context.status === 'PENDING' && context.expiresAt > now;
}
