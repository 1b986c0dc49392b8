import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { asDatabaseUnavailable, DatabaseUnavailableError } from '../database/database-unavailable';
import { OAuthError, ServerUnavailableError } from './oauth-error';
import { ApiError, DependencyUnavailableError, PROBLEM_CONTENT_TYPE, ProblemDetails } from './problem';
import { catalogued } from './problem-catalogue';

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * The one place where errors become HTTP responses: RFC 9457 problem+json on the REST API, RFC 6749
 * error JSON for OAuthError. A database that is down or timed out is a 503 with Retry-After, not a bug.
 * Unexpected errors are logged with their stack and answered with a bare 500: no internals leave the
 * process.
 */
export function toProblem(error: unknown, request: FastifyRequest): ProblemDetails {
  error = asApiError(error);
  const base = { instance: request.url.split('?')[0], requestId: String(request.id) };
  if (error instanceof ApiError) {
    return {
      type: error.type,
      // The catalogue (problem-catalogue.ts) is the one source of titles, as openapi.yaml shows them.
      title: catalogued(error.code)?.title ?? error.title,
      status: error.status,
      detail: error.detail,
      ...base,
      ...error.extensions,
      // Browsers cannot read Retry-After cross-origin unless exposed: the body says it too.
      ...(error.retryAfterSeconds !== undefined ? { retryAfter: error.retryAfterSeconds } : {}),
    };
  }
  const status = httpStatusOf(error);
  if (status !== undefined && status < 500) {
    return {
      type: 'about:blank',
      title: STATUS_TITLES[status] ?? 'Error',
      status,
      detail: clientMessageOf(error, status),
      ...base,
    };
  }
  return {
    type: 'about:blank',
    title: STATUS_TITLES[500],
    status: 500,
    detail: 'An unexpected error occurred.',
    ...base,
  };
}

/** Status of Nest's HttpException (Nest also wraps Fastify's body errors: malformed JSON, too large). */
/** A database outage becomes the same 503 as any other dependency's (no host or port in it). */
function asApiError(error: unknown): unknown {
  return asDatabaseUnavailable(error)
    ? new DependencyUnavailableError('database', DatabaseUnavailableError.RETRY_AFTER_SECONDS)
    : error;
}

function httpStatusOf(error: unknown): number | undefined {
  if (error instanceof HttpException) return error.getStatus();
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 600 ? statusCode : undefined;
}

function clientMessageOf(error: unknown, status: number): string {
  if (status === HttpStatus.NOT_FOUND) return 'No resource matches this method and path.';
  if (error instanceof HttpException) {
    const response = error.getResponse();
    if (typeof response === 'string') return response;
    const message = (response as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return STATUS_TITLES[status] ?? 'The request could not be processed.';
}

export function sendProblem(reply: FastifyReply, problem: ProblemDetails, retryAfterSeconds?: number): void {
  if (retryAfterSeconds !== undefined) void reply.header('Retry-After', String(retryAfterSeconds));
  void reply
    .status(problem.status)
    .header('Content-Type', PROBLEM_CONTENT_TYPE)
    .header('Cache-Control', 'no-store')
    .send(problem);
}

export const OAUTH_PATH_PREFIX = '/oauth2/';

function isOAuthEndpoint(request: FastifyRequest): boolean {
  return request.url.startsWith(OAUTH_PATH_PREFIX);
}

/** RFC 6749 §5.2 error JSON, never cached. */
export function sendOAuthError(reply: FastifyReply, error: OAuthError): void {
  void reply
    .status(error.status)
    .headers({
      ...error.headers,
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      Pragma: 'no-cache',
    })
    .send({ error: error.error, error_description: error.description });
}

@Catch()
export class ProblemExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    answerError(error, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), this.logger);
  }
}

/**
 * Answers `error` in the endpoint's own format. Shared by the Nest filter and the Fastify hooks that run
 * before routing, so a failure anywhere gets the same answer. 503s are expected during an outage: one
 * warn line without a stack; anything else 5xx is a bug and is logged with its stack.
 */
export function answerError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  logger: Pick<Logger, 'warn' | 'error'>,
): void {
  if (error instanceof OAuthError) {
    sendOAuthError(reply, error);
    return;
  }
  const unavailable = asDatabaseUnavailable(error);
  const apiError = asApiError(error);
  const problem = toProblem(apiError, request);
  if (problem.status === 503) {
    logger.warn(
      { requestId: request.id, status: 503, reason: unavailable?.reason ?? (apiError as Error).message },
      'dependency unavailable',
    );
  } else if (problem.status >= 500) {
    logger.error({ err: error, requestId: request.id }, 'unhandled error');
  }
  if (isOAuthEndpoint(request)) {
    // OAuth clients parse RFC 6749 errors, not problem+json, whatever went wrong; a 503 is
    // temporarily_unavailable (RFC 6749 §4.1.2.1), which clients know to retry.
    if (problem.status === 503) {
      const retryAfter = apiError instanceof ApiError ? apiError.retryAfterSeconds : undefined;
      sendOAuthError(reply, new ServerUnavailableError(retryAfter ?? DatabaseUnavailableError.RETRY_AFTER_SECONDS));
      return;
    }
    sendOAuthError(
      reply,
      problem.status >= 500
        ? new OAuthError('server_error', 'the authorization server encountered an unexpected condition', 500)
        : new OAuthError('invalid_request', problem.detail ?? problem.title, problem.status),
    );
    return;
  }
  if (apiError instanceof ApiError) void reply.headers(apiError.headers);
  sendProblem(reply, problem, apiError instanceof ApiError ? apiError.retryAfterSeconds : undefined);
}
