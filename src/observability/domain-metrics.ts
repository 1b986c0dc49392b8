import { Counter, Histogram, Registry } from 'prom-client';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import type { DependencyMeter, DependencyOutcome, MessageMeter } from '../common/meters';
import { Meters } from '../common/meters';

/** Latency buckets of directory and vendor calls (seconds): LDAP answers in milliseconds, vendors in hundreds. */
const DEPENDENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5];
const DEPENDENCY_OUTCOMES: readonly DependencyOutcome[] = ['ok', 'rejected', 'timeout', 'error'];

/** Label values taken from audit details only when they are one of these (cardinality stays bounded). */
const PASSWORD_OUTCOMES = new Set(['invalid', 'locked_out', 'account_locked', 'account_disabled']);
const OTP_FAILURES = new Set(['invalid', 'expired']);
const PUSH_FAILURES = new Set(['denied', 'rejected', 'expired']);
/** What `lockout.engaged` says was locked (its `subject` is the kind: never the CUPID or the address itself). */
const LOCK_KINDS = new Set(['account', 'ip', 'client']);
const FACTOR_OF_STEP: Record<string, string> = {
  SMS_OTP: 'sms',
  PUSH: 'push',
  DEVICE_PROOF: 'device',
  TOTP: 'totp',
  RECOVERY_CODE: 'recovery_code',
  EMAIL_OTP: 'email',
};

type AuditView = { type: string; outcome: string; details?: Record<string, unknown> };

/**
 * A counter's children by their label values, bound on first use and kept: labels() builds a labels object
 * and a bound function on every call, so the hot paths call it once per series (inc() itself still hashes).
 */
class BoundChildren {
  private readonly children = new Map<string, Counter.Internal | Map<string, Counter.Internal>>();

  constructor(private readonly counter: Counter<string>) {}

  of(first: string, second?: string): Counter.Internal {
    if (second === undefined) {
      let child = this.children.get(first) as Counter.Internal | undefined;
      if (!child) this.children.set(first, (child = this.counter.labels(first)));
      return child;
    }
    let inner = this.children.get(first) as Map<string, Counter.Internal> | undefined;
    if (!inner) this.children.set(first, (inner = new Map()));
    let child = inner.get(second);
    if (!child) inner.set(second, (child = this.counter.labels(first, second)));
    return child;
  }
}

/**
 * The domain metrics (issue 19): journeys, password checks, factors, lockouts, message sends and dependency
 * latency, in the app's one registry. Most follow from the audit events (AuditService reports each one as it
 * is recorded), so the counters and the audit trail always tell the same story; step answers, sends and
 * latencies are reported where they happen. Labels are enumerations: steps, factors, outcomes, providers,
 * problem codes; never a customer, a client or an address.
 */
export class DomainMetrics extends Meters {
  readonly journeysStarted: Counter;
  readonly journeysEnded: Counter<'outcome'>;
  readonly journeySteps: Counter<'step' | 'outcome'>;
  readonly passwordChecks: Counter<'outcome'>;
  readonly factorChallenges: Counter<'factor'>;
  readonly factorFailures: Counter<'factor' | 'reason'>;
  readonly lockouts: Counter<'kind'>;
  readonly messageSends: Counter<'channel' | 'provider' | 'outcome'>;
  readonly dependencyDuration: Histogram<'dependency' | 'operation' | 'outcome'>;
  /** audit event type -> what it counts; a Map lookup and an already-bound child's inc() per event. */
  private readonly onAudit: Map<string, (event: AuditView) => void>;
  private readonly steps: BoundChildren;

  constructor(registry: Registry) {
    super();
    const registers = [registry];
    this.journeysStarted = new Counter({
      name: 'ciam_journeys_started_total',
      help: 'Login journeys started',
      registers,
    });
    this.journeysEnded = new Counter({
      name: 'ciam_journeys_ended_total',
      help: 'Login journeys that ended: completed (an authorization code) or failed for good',
      labelNames: ['outcome'],
      registers,
    });
    this.journeySteps = new Counter({
      name: 'ciam_journey_steps_total',
      help: 'Answers of journey steps by step and outcome (PENDING, COMPLETED, or the problem code answered)',
      labelNames: ['step', 'outcome'],
      registers,
    });
    this.passwordChecks = new Counter({
      name: 'ciam_password_checks_total',
      help: 'Password checks by outcome: success, invalid, locked_out, account_locked, account_disabled',
      labelNames: ['outcome'],
      registers,
    });
    this.factorChallenges = new Counter({
      name: 'ciam_factor_challenges_total',
      help: 'Second-factor challenges: SMS codes sent, push prompts sent, device proofs presented',
      labelNames: ['factor'],
      registers,
    });
    this.factorFailures = new Counter({
      name: 'ciam_factor_failures_total',
      help: 'Second-factor failures by factor and reason (invalid, expired, denied, rejected, locked)',
      labelNames: ['factor', 'reason'],
      registers,
    });
    this.lockouts = new Counter({
      name: 'ciam_lockouts_total',
      help: 'Locks engaged: account, ip, client (failed authentications) and mfa (wrong one-time codes)',
      labelNames: ['kind'],
      registers,
    });
    this.messageSends = new Counter({
      name: 'ciam_message_sends_total',
      help: 'Messages handed to a provider by channel (sms, push; email later), provider and outcome (sent, failed)',
      labelNames: ['channel', 'provider', 'outcome'],
      registers,
    });
    this.dependencyDuration = new Histogram({
      name: 'ciam_dependency_request_duration_seconds',
      help: 'Calls to the directory and vendors by dependency, operation and outcome (ok, rejected, timeout, error)',
      labelNames: ['dependency', 'operation', 'outcome'],
      buckets: DEPENDENCY_BUCKETS,
      registers,
    });
    this.steps = new BoundChildren(this.journeySteps);
    this.onAudit = this.auditCounters();
  }

  dependency(dependency: string, operation: string): DependencyMeter {
    const children = new Map(
      DEPENDENCY_OUTCOMES.map((outcome) => [outcome, this.dependencyDuration.labels(dependency, operation, outcome)]),
    );
    return { observe: (outcome, seconds) => children.get(outcome)!.observe(seconds) };
  }

  messages(channel: 'sms' | 'push' | 'email', provider: string): MessageMeter {
    const sent = this.messageSends.labels(channel, provider, 'sent');
    const failed = this.messageSends.labels(channel, provider, 'failed');
    return { sent: () => sent.inc(), failed: () => failed.inc() };
  }

  journeyStep(step: string, outcome: string): void {
    this.steps.of(step, outcome).inc();
  }

  auditEvent(event: AuditView): void {
    this.onAudit.get(event.type)?.(event);
  }

  private auditCounters(): Map<string, (event: AuditView) => void> {
    const T = AUDIT_EVENT_TYPES;
    const started = this.journeysStarted;
    const completed = this.journeysEnded.labels('completed');
    const failed = this.journeysEnded.labels('failed');
    const passwordOk = this.passwordChecks.labels('success');
    const passwordChecks = new BoundChildren(this.passwordChecks);
    const challenges = new BoundChildren(this.factorChallenges);
    const failures = new BoundChildren(this.factorFailures);
    const lockouts = new BoundChildren(this.lockouts);
    const detail = (event: AuditView, key: string) => String(event.details?.[key] ?? '');
    const oneOf = (value: string, allowed: Set<string>) => (allowed.has(value) ? value : 'other');
    return new Map<string, (event: AuditView) => void>([
      [T.JOURNEY_STARTED, () => started.inc()],
      [T.JOURNEY_COMPLETED, () => completed.inc()],
      [T.JOURNEY_FAILED, () => failed.inc()],
      [T.PASSWORD_VERIFIED, () => passwordOk.inc()],
      [T.PASSWORD_REJECTED, (e) => passwordChecks.of(oneOf(detail(e, 'reason'), PASSWORD_OUTCOMES)).inc()],
      [T.SMS_OTP_SENT, () => challenges.of('sms').inc()],
      [T.PUSH_SENT, () => challenges.of('push').inc()],
      [T.DEVICE_PROOF_VERIFIED, () => challenges.of('device').inc()],
      [
        T.DEVICE_PROOF_REJECTED,
        () => {
          challenges.of('device').inc();
          failures.of('device', 'rejected').inc();
        },
      ],
      // A sign-in code by email is a challenge; a verification code (purpose verify) is not.
      [
        T.EMAIL_CODE_SENT,
        (e) => {
          if (detail(e, 'purpose') === 'login') challenges.of('email').inc();
        },
      ],
      [
        T.OTP_REJECTED,
        (e) =>
          failures
            .of(detail(e, 'factor') === 'email' ? 'email' : 'sms', oneOf(detail(e, 'reason'), OTP_FAILURES))
            .inc(),
      ],
      [
        T.PUSH_COMPLETED,
        (e) => {
          const outcome = detail(e, 'outcome');
          if (outcome !== 'approved') failures.of('push', oneOf(outcome, PUSH_FAILURES)).inc();
        },
      ],
      [T.MFA_REFUSED_LOCKED, (e) => failures.of(FACTOR_OF_STEP[detail(e, 'step')] ?? 'other', 'locked').inc()],
      [T.LOCKOUT_ENGAGED, (e) => lockouts.of(oneOf(detail(e, 'subject'), LOCK_KINDS)).inc()],
      [T.MFA_LOCKED, () => lockouts.of('mfa').inc()],
    ]);
  }
}
