import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';

/**
 * How a call to a dependency ended, for its latency histogram: `ok`; `rejected` when the dependency answered
 * no (a wrong password at LDAP, a 4xx from a vendor); `timeout`; `error` for anything else (refused
 * connection, 5xx, unreadable answer).
 */
export type DependencyOutcome = 'ok' | 'rejected' | 'timeout' | 'error';

/** One dependency operation's latency histogram, its label children bound once (not looked up per call). */
export interface DependencyMeter {
  observe(outcome: DependencyOutcome, seconds: number): void;
}

/** Messages of one channel and provider handed to the provider: sent (accepted) or failed. */
export interface MessageMeter {
  sent(): void;
  failed(): void;
}

/**
 * The instruments the domain modules report to, as a port (the platform cannot import the observability
 * module, which sits above them): the prom-client implementation is src/observability/domain-metrics.ts,
 * provided globally. Every method is cheap on the hot path: label children are bound once and reused.
 */
export abstract class Meters {
  /** The latency meter of one dependency operation (`ldap`/`search`, `sms-http`/`send`, ...); call once and keep it. */
  abstract dependency(dependency: string, operation: string): DependencyMeter;
  /** The send counter of one channel (`sms`, `push`; `email` when it arrives) and provider; call once and keep it. */
  abstract messages(channel: 'sms' | 'push' | 'email', provider: string): MessageMeter;
  /** One answer of a journey step, once settled: its status (`PENDING`, `COMPLETED`) or the problem code answered. */
  abstract journeyStep(step: string, outcome: string): void;
  /** An audit event was recorded: the domain counters (journeys, password checks, factors, lockouts) follow from it. */
  abstract auditEvent(event: { type: string; outcome: string; details?: Record<string, unknown> }): void;
}

/**
 * Counts every message `sender` hands to its provider (the module's factory wraps the adapter it chose). The
 * instance keeps its class, so `instanceof LogSmsSender` (the development outbox) still holds.
 */
export function countingSends<S extends { readonly name: string; send(message: never): Promise<unknown> }>(
  channel: 'sms' | 'push' | 'email',
  sender: S,
  meters: Meters | undefined,
): S {
  if (!meters) return sender;
  const counter = meters.messages(channel, sender.name);
  const send = sender.send.bind(sender) as (message: unknown) => Promise<unknown>;
  Object.defineProperty(sender, 'send', {
    value: async (message: unknown) => {
      try {
        const result = await send(message);
        counter.sent();
        return result;
      } catch (error) {
        counter.failed();
        throw error;
      }
    },
  });
  return sender;
}

const tracer = trace.getTracer('ciam-backend');

/**
 * Runs one call to a dependency inside a client span (a no-op unless tracing is on) and records its latency
 * on `meter`. `classify` says how a failure counts; what it throws is rethrown unchanged. Span attributes
 * never carry secrets, usernames or DNs (they leave the process with the trace).
 */
export async function meteredCall<T>(
  meter: DependencyMeter | undefined,
  span: { name: string; attributes: Attributes },
  work: () => Promise<T>,
  classify: (error: unknown) => DependencyOutcome = () => 'error',
  outcomeOf: (result: T) => DependencyOutcome = () => 'ok',
): Promise<T> {
  return tracer.startActiveSpan(span.name, { kind: SpanKind.CLIENT, attributes: span.attributes }, async (active) => {
    const started = performance.now();
    try {
      const result = await work();
      const outcome = outcomeOf(result);
      meter?.observe(outcome, (performance.now() - started) / 1000);
      active.setAttribute('ciam.outcome', outcome);
      return result;
    } catch (error) {
      const outcome = classify(error);
      meter?.observe(outcome, (performance.now() - started) / 1000);
      active.setAttribute('ciam.outcome', outcome);
      if (outcome !== 'rejected') active.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
      throw error;
    } finally {
      active.end();
    }
  });
}
