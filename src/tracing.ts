/**
 * OpenTelemetry tracing, off unless OTEL_TRACES_ENABLED is true (README, "Tracing"). main.ts imports this
 * module before anything else, because the instrumentations patch `http` and `pg` as they are loaded: the
 * SDK must be started before Nest, Fastify or pg are. With tracing off nothing of the SDK is even loaded;
 * the modules that make spans (the LDAP adapter, vendor-http) use @opentelemetry/api alone, whose tracer
 * is a no-op until an SDK registers one.
 *
 * The value is validated with every other setting (config.ts, `tracing`); this module, running before the
 * configuration is loaded, only takes "on" for an answer.
 */
export interface Tracing {
  /** Flushes the spans still buffered and stops exporting (graceful shutdown). */
  shutdown(): Promise<void>;
}

export function tracingEnabled(env: NodeJS.ProcessEnv): boolean {
  return ['true', '1', 'yes', 'on'].includes((env.OTEL_TRACES_ENABLED ?? '').trim().toLowerCase());
}

function startTracing(env: NodeJS.ProcessEnv): Tracing | undefined {
  if (!tracingEnabled(env)) return undefined;
  // Required only when on: an import at the top would load the SDK into every process.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('./tracing-sdk') as typeof import('./tracing-sdk');
  return sdk.startTracingSdk(env);
}

/** The process's tracing, started on import (undefined when off). */
export const tracing: Tracing | undefined = startTracing(process.env);
