import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Logger as NestLogger } from '@nestjs/common';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Params } from 'nestjs-pino';
import pino, { DestinationStream, Logger as PinoLogger } from 'pino';
import type { Logger as TypeOrmLoggerPort } from 'typeorm';
import type { AppConfig } from '../config/config';
import { LOG_REDACT_PATHS } from '../common/redact';

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;
const QUIET_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * The request id: the caller's X-Request-Id when it looks like one (a load balancer's), otherwise a new
 * UUID. Stored on the raw request, where pino-http and Fastify both read it.
 */
export function requestIdFor(raw: IncomingMessage): string {
  const given = raw.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  (raw as IncomingMessage & { id?: string }).id = id;
  return id;
}

/** What a database error may say: never `parameters`, `detail` ("Key (x)=(value)"), `where` or `driverError`. */
const DATABASE_ERROR_FIELDS = [
  'type',
  'message',
  'stack',
  'code',
  'severity',
  'query',
  'table',
  'column',
  'constraint',
  'routine',
];

/** PostgreSQL quotes the offending value in its messages (`invalid input syntax for type uuid: "..."`). */
function withoutValues(text: unknown): unknown {
  return typeof text === 'string'
    ? text.replace(/"(?:[^"\\]|\\.)*"/g, '"[REDACTED]"').replace(/\b0x[0-9a-f]{2}(?: 0x[0-9a-f]{2})*/gi, '0x[REDACTED]')
    : text;
}

function isDatabaseError(error: Record<string, unknown>): boolean {
  return (
    'query' in error || 'driverError' in error || (typeof error.severity === 'string' && typeof error.code === 'string')
  );
}

/**
 * The one error serializer of every logger (the root logger, pino-http's request loggers, the TypeORM
 * logger, the exception filter): errors keep their type, message and stack; a failed query keeps its SQL
 * and SQLSTATE but never its parameters nor the value PostgreSQL quotes back, because the username typed
 * into a login form is sometimes the customer's password.
 */
export function serializeError(error: unknown): Record<string, unknown> {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  if (serialized === null || typeof serialized !== 'object') return serialized;
  if (!isDatabaseError(serialized)) {
    delete serialized.parameters;
    delete serialized.driverError;
    return serialized;
  }
  const kept: Record<string, unknown> = {};
  for (const field of DATABASE_ERROR_FIELDS) {
    if (serialized[field] !== undefined)
      kept[field] = field === 'message' || field === 'stack' ? withoutValues(serialized[field]) : serialized[field];
  }
  // As `sqlState`: `*.code` is a redacted path (authorization codes), which would hide the SQLSTATE.
  if (kept.code !== undefined) {
    kept.sqlState = kept.code;
    delete kept.code;
  }
  return kept;
}

/** Serializers shared by the root logger and pino-http, which would otherwise install pino's own `err`. */
export const LOG_SERIALIZERS = { err: serializeError };

/**
 * TypeORM's logger: failed queries and TypeORM's warnings go to the application log through the same
 * serializer; query parameters are never passed on.
 */
export class DatabaseLogger implements TypeOrmLoggerPort {
  private readonly logger = new NestLogger('Database');

  logQuery(): void {}

  logQueryError(error: string | Error, query: string): void {
    this.logger.warn({ err: serializeError(error), query }, 'query failed');
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ durationMs: time, query }, 'slow query');
  }

  logSchemaBuild(): void {}

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
  }
}

/** The process's one pino logger: JSON lines, credentials redacted wherever they appear. */
export function createRootLogger(config: AppConfig, destination?: DestinationStream): PinoLogger {
  return pino(
    {
      level: config.log.level,
      redact: { paths: LOG_REDACT_PATHS, censor: '[REDACTED]' },
      base: { service: 'ciam-backend' },
      serializers: LOG_SERIALIZERS,
      // Only with tracing on: the lookup would cost every log line something for nothing.
      mixin: config.tracing.enabled ? traceContext : undefined,
    },
    destination ?? pino.destination({ sync: false }),
  );
}

/** The active span's ids (W3C hex), so a log line leads to its trace and back. */
export function traceContext(): Record<string, string> {
  const context = trace.getActiveSpan()?.spanContext();
  return context && isSpanContextValid(context) ? { trace_id: context.traceId, span_id: context.spanId } : {};
}

/**
 * nestjs-pino on the root logger: Nest's own log calls become JSON, and inside a request they carry its
 * requestId. Request lines themselves come from logRequest(), which also sees requests that never reach a
 * Nest route (unknown routes, Swagger UI).
 */
export function loggerParams(root: PinoLogger): Params {
  return {
    pinoHttp: {
      logger: root,
      serializers: LOG_SERIALIZERS,
      autoLogging: false,
      quietReqLogger: true,
      genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id?: string }).id ?? requestIdFor(req),
      customAttributeKeys: { reqId: 'requestId' },
    },
  };
}

/** One line per completed request. Query strings can carry codes and tokens, so only the path is logged. */
export function logRequest(root: PinoLogger, request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split('?')[0];
  if (QUIET_PATHS.has(path) && reply.statusCode < 500) return;
  const level = reply.statusCode >= 500 ? 'error' : reply.statusCode >= 400 ? 'warn' : 'info';
  if (!root.isLevelEnabled(level)) return; // the line's object is not built for nothing (LOG_LEVEL=warn)
  root[level](
    {
      requestId: String(request.id),
      req: {
        method: request.method,
        path,
        route: request.routeOptions?.url,
        headers: request.headers,
        remoteAddress: request.ip,
      },
      res: { statusCode: reply.statusCode },
      responseTimeMs: Math.round(reply.elapsedTime * 10) / 10,
    },
    'request completed',
  );
}
