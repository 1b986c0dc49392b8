import type { IncomingMessage } from 'node:http';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import type { Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { SERVICE_VERSION } from './common/version';
import type { Tracing } from './tracing';

/** Probes and scrapes would be most of the traces and tell nothing. */
const UNTRACED_PATHS = new Set(['/metrics', '/health/live', '/health/ready']);

/**
 * The SDK, loaded by tracing.ts only when tracing is on: the Node tracer provider (AsyncLocalStorage context,
 * W3C trace context propagation), spans batched to OTLP over HTTP (JSON) at OTEL_EXPORTER_OTLP_ENDPOINT
 * (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), sampled by OTEL_TRACES_SAMPLER (default: parent-based, always on).
 * Instrumented: incoming and outgoing `http`, Fastify's routes and hooks (@fastify/otel, registered when
 * Fastify starts: Nest's own instrumentation does not support Nest 12), and every pg query (its SQL text,
 * never its parameters). LDAP and vendor calls make their own spans (src/common/meters.ts).
 */
export function startTracingSdk(env: NodeJS.ProcessEnv): Tracing {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': env.OTEL_SERVICE_NAME || 'ciam-backend',
      'service.version': SERVICE_VERSION,
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has((request.url ?? '').split('?')[0]),
        requestHook: withoutQueryString,
      }),
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
      new FastifyOtelInstrumentation({ registerOnInitialization: true }),
    ],
  });
  return { shutdown: () => provider.shutdown() };
}

/**
 * Query strings can carry codes, tokens and login hints (the request log keeps only the path, for the same
 * reason): an incoming request's span keeps its path alone.
 */
function withoutQueryString(span: Span, request: unknown): void {
  // An incoming request (IncomingMessage) has `url`; an outgoing one (ClientRequest) has `path` instead.
  const url = (request as IncomingMessage).url;
  if (typeof url !== 'string' || !url.includes('?')) return;
  const path = url.split('?')[0];
  span.setAttribute('http.target', path);
  span.setAttribute('url.path', path);
  span.setAttribute('url.query', '');
  const full = (span as unknown as { attributes?: Record<string, unknown> }).attributes?.['http.url'];
  if (typeof full === 'string') span.setAttribute('http.url', full.split('?')[0]);
}
