import { HttpStatus } from '@nestjs/common';
import { problemType } from './problem-catalogue';

/** RFC 9457 problem details, as sent on every REST error (Content-Type: application/problem+json). */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  /** The request id of the failed request, for support. */
  requestId?: string;
  /** Validation failures: one entry per offending field. */
  errors?: FieldError[];
  [extension: string]: unknown;
}

export interface FieldError {
  field: string;
  messages: string[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * A named API error: the code throws one of these and the exception filter turns it into problem+json
 * (docs/architecture.md, rule 7). `code` is stable and machine-readable; `detail` is safe to show a customer and
 * never carries a secret.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly extensions: Record<string, unknown> = {},
    /** Seconds; sent as Retry-After on 429 and 503. */
    readonly retryAfterSeconds?: number,
    /** Further response headers, e.g. WWW-Authenticate on 401. */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
    this.name = new.target.name;
  }

  get type(): string {
    return problemType(this.code);
  }
}

export class ValidationFailedError extends ApiError {
  constructor(readonly fieldErrors: FieldError[]) {
    super(
      HttpStatus.BAD_REQUEST,
      'VALIDATION_FAILED',
      'Request validation failed',
      'One or more fields are missing or invalid.',
      { errors: fieldErrors },
    );
  }
}

export class DependencyUnavailableError extends ApiError {
  constructor(dependency: string, retryAfterSeconds = 5) {
    super(
      HttpStatus.SERVICE_UNAVAILABLE,
      'DEPENDENCY_UNAVAILABLE',
      'Service temporarily unavailable',
      `A required service (${dependency}) is not answering; try again shortly.`,
      {},
      retryAfterSeconds,
    );
  }
}

/**
 * RFC 6750: a missing, invalid, expired or revoked bearer token on the REST API. A request that carried
 * no credentials at all gets a challenge without an error code (§3.1).
 */
export class BearerTokenRequiredError extends ApiError {
  constructor(realm: string, detail = 'A valid bearer access token is required.', presented = true) {
    super(HttpStatus.UNAUTHORIZED, 'UNAUTHENTICATED', 'Authentication required', detail, {}, undefined, {
      'WWW-Authenticate': presented ? `Bearer realm="${realm}", error="invalid_token"` : `Bearer realm="${realm}"`,
    });
  }
}

export class NotPermittedError extends ApiError {
  constructor(detail: string) {
    super(HttpStatus.FORBIDDEN, 'FORBIDDEN', 'Not permitted', detail);
  }
}

export class NotFoundProblem extends ApiError {
  constructor(detail: string) {
    super(HttpStatus.NOT_FOUND, 'NOT_FOUND', 'Not found', detail);
  }
}
