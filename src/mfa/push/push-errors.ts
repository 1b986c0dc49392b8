import { HttpStatus } from '@nestjs/common';
import { ApiError } from '../../common/problem';

export const pushNotSent = () =>
  new ApiError(
    HttpStatus.SERVICE_UNAVAILABLE,
    'PUSH_NOT_SENT',
    'Push not sent',
    'The approval request could not be sent to your device. Try again or choose another factor.',
    {},
    10,
  );
export const pushAlreadySent = () =>
  new ApiError(
    HttpStatus.CONFLICT,
    'PUSH_ALREADY_SENT',
    'Push already sent',
    'An approval request is already waiting on your device.',
  );
export const pushNotYetSent = () =>
  new ApiError(HttpStatus.CONFLICT, 'PUSH_NOT_SENT_YET', 'No push sent yet', 'Send the approval request first.');
export const pushDenied = () =>
  new ApiError(
    HttpStatus.FORBIDDEN,
    'PUSH_DENIED',
    'Sign-in denied on the device',
    'The sign-in was denied on your device.',
  );
export const pushExpired = () =>
  new ApiError(
    HttpStatus.GONE,
    'PUSH_EXPIRED',
    'Push expired',
    'The approval request expired. Send another, or choose another factor, with the same transaction token.',
  );
export const pushRejected = () =>
  new ApiError(
    HttpStatus.FORBIDDEN,
    'PUSH_REJECTED',
    'Push answer rejected',
    'The answer from the device could not be accepted. Start again.',
  );
