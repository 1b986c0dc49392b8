import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Params } from 'nestjs-pino';
import pino, { DestinationStream, Logger as PinoLogger } from 'pino';
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

/**
 * Errors keep their type, message and stack; a failed query keeps its SQL but never its parameters,
 * which can hold customer data or hashes of secrets.
 */
function serializeError(error: unknown): Record<string, unknown> {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  delete serialized.parameters;
  delete serialized.driverError;
  return serialized;
}

/** The process's one pino logger: JSON lines, credentials redacted wherever they appear. */
export function createRootLogger(config: AppConfig, destination?: DestinationStream): PinoLogger {
  return pino(
    {
      level: config.log.level,
      redact: { paths: LOG_REDACT_PATHS, censor: '[REDACTED]' },
      base: { service: 'ciam-backend' },
      serializers: { err: serializeError },
    },
    destination ?? pino.destination({ sync: false }),
  );
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
  root[level](
    {
      requestId: String(request.id),
      req: { method: request.method, path, route: request.routeOptions?.url, headers: request.headers, remoteAddress: request.ip },
      res: { statusCode: reply.statusCode },
      responseTimeMs: Math.round(reply.elapsedTime * 10) / 10,
    },
    'request completed',
  );
}
