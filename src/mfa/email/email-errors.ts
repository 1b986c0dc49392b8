import { HttpStatus } from '@nestjs/common';
import { ApiError } from '../../common/problem';

export const emailBudgetExhausted = (retryAfterSeconds: number) =>
  new ApiError(
    HttpStatus.TOO_MANY_REQUESTS,
    'EMAIL_LIMIT_REACHED',
    'Too many emails',
    'Too many codes were sent to this address recently. Try again later.',
    {},
    retryAfterSeconds,
  );

export const emailNotSent = () =>
  new ApiError(
    HttpStatus.SERVICE_UNAVAILABLE,
    'EMAIL_NOT_SENT',
    'Email not sent',
    'The email could not be sent. Try again in a moment.',
    {},
    10,
  );

export const emailUnavailable = () =>
  new ApiError(HttpStatus.CONFLICT, 'EMAIL_UNAVAILABLE', 'Email not available', 'This service sends no email.');
