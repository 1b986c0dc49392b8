import { HttpStatus } from '@nestjs/common';
import { ApiError } from '../common/problem';

export const otpInvalid = () =>
  new ApiError(HttpStatus.UNAUTHORIZED, 'OTP_INVALID', 'Wrong code', 'The code is not the one we sent.');

export const otpExpired = () =>
  new ApiError(HttpStatus.BAD_REQUEST, 'OTP_EXPIRED', 'Code expired', 'The code has expired. Ask for a new one.');

export const codeNotSent = () =>
  new ApiError(HttpStatus.CONFLICT, 'CODE_NOT_SENT', 'No code sent yet', 'Ask for a code to be sent first.');

export const codeAlreadySent = () =>
  new ApiError(
    HttpStatus.CONFLICT,
    'CODE_ALREADY_SENT',
    'Code already sent',
    'A code was sent already: enter it, or ask for it again.',
  );

export const resendTooSoon = (retryAfterSeconds: number) =>
  new ApiError(
    HttpStatus.TOO_MANY_REQUESTS,
    'RESEND_TOO_SOON',
    'Too soon to resend',
    'Wait a little before asking for another code.',
    {},
    retryAfterSeconds,
  );

export const resendLimitReached = () =>
  new ApiError(
    HttpStatus.TOO_MANY_REQUESTS,
    'RESEND_LIMIT_REACHED',
    'No more codes',
    'No more codes can be sent in this sign-in. Enter the last code or start again.',
  );

export const smsBudgetExhausted = (retryAfterSeconds: number) =>
  new ApiError(
    HttpStatus.TOO_MANY_REQUESTS,
    'SMS_LIMIT_REACHED',
    'Too many codes',
    'Too many codes were sent to this number recently. Try again later.',
    {},
    retryAfterSeconds,
  );

export const smsNotSent = () =>
  new ApiError(
    HttpStatus.SERVICE_UNAVAILABLE,
    'SMS_NOT_SENT',
    'Code not sent',
    'The code could not be sent. Try again in a moment.',
    {},
    10,
  );
