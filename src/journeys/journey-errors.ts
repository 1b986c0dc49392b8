import { HttpStatus } from '@nestjs/common';
import { ApiError } from '../common/problem';

/**
 * The journey API's named errors (problem+json). Statuses follow docs/architecture.md, rule 11: a replayed,
 * unknown, expired or foreign transaction token is one 400 shape; out of order is 409; locked out is
 * 429 with Retry-After; a risk DENY is 403; a dependency down is 503.
 */
export class TransactionInvalidError extends ApiError {
  constructor() {
    super(
      HttpStatus.BAD_REQUEST,
      'TRANSACTION_INVALID',
      'Transaction token invalid',
      'The transaction token is unknown, already used or expired. Continue with the latest token, or start again.',
    );
  }
}

export class StepOutOfOrderError extends ApiError {
  constructor(expected: string) {
    super(
      HttpStatus.CONFLICT,
      'STEP_OUT_OF_ORDER',
      'Step out of order',
      `This journey expects the ${expected} step now.`,
      { expectedStep: expected },
    );
  }
}

/**
 * The same transaction token is being worked on by another request (its first try is still waiting for
 * the directory or a vendor). Not a replay: the client that timed out retries shortly with the same token
 * and body and gets the first try's answer (the sealed retry window).
 */
export class StepInProgressError extends ApiError {
  constructor() {
    super(
      HttpStatus.CONFLICT,
      'STEP_IN_PROGRESS',
      'Step in progress',
      'This step is still being processed. Retry shortly with the same transaction token and body to get its answer.',
      {},
      1,
    );
  }
}

/** A step failed but the journey goes on: the fresh transaction token for the retry rides along. */
export class RetryableStepError extends ApiError {}

export function invalidCredentials(retry: Record<string, unknown>): RetryableStepError {
  return new RetryableStepError(
    HttpStatus.UNAUTHORIZED,
    'INVALID_CREDENTIALS',
    'Invalid credentials',
    'The username or password is incorrect.',
    retry,
  );
}

export function tooManyAttempts(retryAfterSeconds: number, retry: Record<string, unknown>): RetryableStepError {
  return new RetryableStepError(
    HttpStatus.TOO_MANY_REQUESTS,
    'TOO_MANY_ATTEMPTS',
    'Too many attempts',
    'Too many failed attempts. Wait before trying again.',
    retry,
    retryAfterSeconds,
  );
}

export class AccessDeniedError extends ApiError {
  constructor() {
    super(
      HttpStatus.FORBIDDEN,
      'ACCESS_DENIED',
      'Access denied',
      'This sign-in was refused. Contact support if this keeps happening.',
    );
  }
}

export class JourneyFailedError extends ApiError {
  constructor(detail: string) {
    super(HttpStatus.FORBIDDEN, 'JOURNEY_FAILED', 'Journey failed', detail);
  }
}

export class InvalidJourneyRequestError extends ApiError {
  constructor(detail: string) {
    super(HttpStatus.BAD_REQUEST, 'INVALID_JOURNEY_REQUEST', 'Invalid journey request', detail);
  }
}
