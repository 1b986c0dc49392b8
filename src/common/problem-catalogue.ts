/**
 * Every problem type the REST API answers with (RFC 9457), in one place: the exception filter takes the
 * type URI and title from here, openapi.yaml lists each one under the operations that can return it
 * (with an example), and docs/api-contract.md is the same table for people. A test fails when code
 * raises a problem code that is not listed here, or with another status.
 *
 * `journey` says what a login journey's frontend does after it (absent: not an answer of a journey step):
 * - `same-token`: the journey goes on; the transaction token sent stays valid (retry it, later if told);
 * - `fresh-token`: the journey goes on with the `transactionToken` and `nextStep` in the problem body;
 *   the token sent is spent;
 * - `latest-token`: this token is unknown, spent or expired: go on with the latest one held, or start again;
 * - `ends`: the journey is over; start a new one.
 */
export type JourneyContinuation = 'same-token' | 'fresh-token' | 'latest-token' | 'ends';

/** Members a problem body may carry beyond RFC 9457's, documented on ProblemDto. */
export type ProblemExtension =
  | 'errors'
  | 'transactionToken'
  | 'transactionExpiresAt'
  | 'nextStep'
  | 'attemptsLeft'
  | 'expectedStep'
  | 'alternatives'
  | 'checks'
  | 'retryAfter';

export interface ProblemEntry {
  status: number;
  title: string;
  /** What it means and what to do, for the frontend developer. */
  meaning: string;
  journey?: JourneyContinuation;
  /** Extension members this problem carries (retryAfter goes with every Retry-After header). */
  extensions?: ProblemExtension[];
}

const FRESH: ProblemExtension[] = ['transactionToken', 'transactionExpiresAt', 'nextStep', 'attemptsLeft'];

export const PROBLEM_CATALOGUE = {
  VALIDATION_FAILED: {
    status: 400,
    title: 'Request validation failed',
    meaning: 'A field is missing or invalid; `errors` names each one. Fix the request and send it again.',
    journey: 'same-token',
    extensions: ['errors'],
  },
  INVALID_ENCODING: {
    status: 400,
    title: 'Invalid characters in the request',
    meaning:
      'A NUL character or bytes that are not UTF-8 in the path, query, a header or the body (refused before routing).',
    journey: 'same-token',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    title: 'Unsupported media type',
    meaning: 'The request body must be application/json.',
    journey: 'same-token',
  },
  UNAUTHENTICATED: {
    status: 401,
    title: 'Authentication required',
    meaning: 'The bearer token is missing, invalid, expired or revoked (WWW-Authenticate says which scheme).',
  },
  FORBIDDEN: {
    status: 403,
    title: 'Not permitted',
    meaning: 'The token is genuine but lacks the role this API requires (`error="insufficient_scope"`).',
  },
  NOT_FOUND: {
    status: 404,
    title: 'Not found',
    meaning: 'Nothing of yours (or of this customer) has this id; another customer’s ids are "not found" too.',
  },
  DEPENDENCY_UNAVAILABLE: {
    status: 503,
    title: 'Service temporarily unavailable',
    meaning:
      'A dependency (database, directory, risk service) is not answering. Retry after Retry-After; on a journey, with the same token.',
    journey: 'same-token',
    extensions: ['retryAfter'],
  },
  SHUTTING_DOWN: {
    status: 503,
    title: 'Service shutting down',
    meaning: 'This instance is shutting down; retry at once and another instance answers.',
    journey: 'same-token',
    extensions: ['retryAfter'],
  },
  NOT_READY: {
    status: 503,
    title: 'Service not ready',
    meaning: 'This instance cannot serve (database or signing keys unavailable); `checks` says which.',
    extensions: ['checks', 'retryAfter'],
  },
  INVALID_JOURNEY_REQUEST: {
    status: 400,
    title: 'Invalid journey request',
    meaning:
      'Unknown client (or one that may not sign customers in), unregistered redirect URI, or a scope not allowed.',
  },
  TRANSACTION_INVALID: {
    status: 400,
    title: 'Transaction token invalid',
    meaning: 'The transaction token is unknown, already used, expired, of another journey, or the journey is closed.',
    journey: 'latest-token',
  },
  STEP_OUT_OF_ORDER: {
    status: 409,
    title: 'Step out of order',
    meaning: 'The token is good but the journey expects another step now: `expectedStep` names it.',
    journey: 'same-token',
    extensions: ['expectedStep'],
  },
  STEP_IN_PROGRESS: {
    status: 409,
    title: 'Step in progress',
    meaning:
      'An earlier request with this token is still running: retry shortly with the same token and body to get its answer.',
    journey: 'same-token',
    extensions: ['retryAfter'],
  },
  INVALID_CREDENTIALS: {
    status: 401,
    title: 'Invalid credentials',
    meaning:
      'Wrong username or password, or an account the directory locked or disabled (one answer for all). Ask again with the fresh token.',
    journey: 'fresh-token',
    extensions: FRESH,
  },
  TOO_MANY_ATTEMPTS: {
    status: 429,
    title: 'Too many attempts',
    meaning:
      'The account or the address is locked out after failed passwords: wait Retry-After, then use the fresh token.',
    journey: 'fresh-token',
    extensions: [...FRESH, 'retryAfter'],
  },
  ACCESS_DENIED: {
    status: 403,
    title: 'Access denied',
    meaning: 'The risk evaluation refused this sign-in.',
    journey: 'ends',
  },
  JOURNEY_FAILED: {
    status: 403,
    title: 'Journey failed',
    meaning: 'The attempts of a step are used up, or a second factor is required and the customer has none.',
    journey: 'ends',
  },
  OTP_INVALID: {
    status: 401,
    title: 'Wrong code',
    meaning: 'Not the code sent; `attemptsLeft` more tries with the same token (the last wrong one ends the journey).',
    journey: 'same-token',
    extensions: ['attemptsLeft'],
  },
  OTP_EXPIRED: {
    status: 400,
    title: 'Code expired',
    meaning: 'The code expired: ask for a new one (resend) with the same token.',
    journey: 'same-token',
  },
  CODE_NOT_SENT: {
    status: 409,
    title: 'No code sent yet',
    meaning: 'Send a code first (or the customer has no phone to send it to).',
    journey: 'same-token',
  },
  CODE_ALREADY_SENT: {
    status: 409,
    title: 'Code already sent',
    meaning: 'A code was sent with this token already: verify it, or resend.',
    journey: 'same-token',
  },
  RESEND_TOO_SOON: {
    status: 429,
    title: 'Too soon to resend',
    meaning: 'Wait Retry-After (the step showed it as `resendAvailableAt`) before resending.',
    journey: 'same-token',
    extensions: ['retryAfter'],
  },
  RESEND_LIMIT_REACHED: {
    status: 429,
    title: 'No more codes',
    meaning: 'No more codes in this journey: enter the last one, or start again.',
    journey: 'same-token',
  },
  SMS_LIMIT_REACHED: {
    status: 429,
    title: 'Too many codes',
    meaning: 'Too many codes to this number or customer recently (against SMS pumping): later, or another factor.',
    journey: 'same-token',
    extensions: ['retryAfter'],
  },
  SMS_NOT_SENT: {
    status: 503,
    title: 'Code not sent',
    meaning: 'The SMS provider failed; nothing was counted. Retry with the same token (the same code is sent).',
    journey: 'same-token',
    extensions: ['retryAfter'],
  },
  MFA_LOCKED: {
    status: 429,
    title: 'Second factor locked',
    meaning:
      'Too many wrong codes for this customer across journeys: no second factor is sent or checked until Retry-After.',
    journey: 'same-token',
    extensions: ['attemptsLeft', 'retryAfter'],
  },
  PUSH_NOT_SENT: {
    status: 503,
    title: 'Push not sent',
    meaning: 'No device could be reached: retry with the same token, or choose another factor.',
    journey: 'same-token',
    extensions: ['retryAfter'],
  },
  PUSH_ALREADY_SENT: {
    status: 409,
    title: 'Push already sent',
    meaning: 'An approval request is already waiting: poll for its outcome.',
    journey: 'same-token',
  },
  PUSH_NOT_SENT_YET: {
    status: 409,
    title: 'No push sent yet',
    meaning: 'Send the approval request before polling.',
    journey: 'same-token',
  },
  PUSH_DENIED: {
    status: 403,
    title: 'Sign-in denied on the device',
    meaning: 'The customer denied the sign-in on the device.',
    journey: 'ends',
  },
  PUSH_REJECTED: {
    status: 403,
    title: 'Push answer rejected',
    meaning: 'The device answered with the wrong number, or the answer was not signed by a bound device.',
    journey: 'ends',
  },
  PUSH_EXPIRED: {
    status: 410,
    title: 'Push expired',
    meaning: 'The approval request expired unanswered: send another, or choose another factor, with the same token.',
    journey: 'same-token',
  },
  PUSH_LIMIT_REACHED: {
    status: 429,
    title: 'Too many approval requests',
    meaning: 'The push budget is spent (push fatigue): `alternatives` lists the factors the same token can do instead.',
    journey: 'same-token',
    extensions: ['alternatives', 'retryAfter'],
  },
  PUSH_ALREADY_ANSWERED: {
    status: 409,
    title: 'Already answered',
    meaning: 'The device app: this push challenge was answered already.',
  },
  WRONG_NUMBER: {
    status: 400,
    title: 'Wrong number',
    meaning: 'The device app: the number entered is not the one shown at sign-in; the sign-in is stopped.',
  },
  SIGNATURE_REJECTED: {
    status: 401,
    title: 'Signature rejected',
    meaning: 'The device app: the answer is not signed by a device bound for this sign-in; the sign-in is stopped.',
  },
  DOCUMENT_MISMATCH: {
    status: 409,
    title: 'Not the document to sign',
    meaning: 'Not the document id, version or SHA-256 awaiting signature: sign the one in nextStep.document.',
    journey: 'same-token',
    extensions: ['attemptsLeft'],
  },
  ESIGN_DECLINED: {
    status: 403,
    title: 'Document declined',
    meaning: 'The customer declined the document.',
    journey: 'ends',
  },
  DEVICE_PROOF_INVALID: {
    status: 400,
    title: 'Device proof invalid',
    meaning: "The proof is not an ES256 signature by the given P-256 key over this step's challenge.",
    journey: 'same-token',
    extensions: ['attemptsLeft'],
  },
  DEVICE_BIND_NEEDS_SECOND_FACTOR: {
    status: 403,
    title: 'Second factor needed',
    meaning: 'A device is bound only after a second factor it did not approve itself in the same journey.',
    journey: 'ends',
  },
  DEVICE_KEY_IN_USE: {
    status: 409,
    title: 'Device key in use',
    meaning: 'The key belongs to another customer or was revoked: generate a new key pair and try again.',
    journey: 'same-token',
    extensions: ['attemptsLeft'],
  },
  STEP_UP_REQUIRED: {
    status: 403,
    title: 'Fresh authentication required',
    meaning:
      'Changing factors needs a recent authentication at loa2 (or a fresh password login before the first second factor): step up with POST /me/step-up, or sign in again (prompt=login), then retry with the new token.',
  },
  EMAIL_LIMIT_REACHED: {
    status: 429,
    title: 'Too many emails',
    meaning:
      'Too many codes to this address recently (EMAIL_RECIPIENT_LIMIT_*): try again after Retry-After (in a journey, or choose another factor).',
    journey: 'same-token',
    extensions: ['retryAfter'],
  },
  EMAIL_NOT_SENT: {
    status: 503,
    title: 'Email not sent',
    meaning:
      'The mail relay did not take the message; nothing was counted. Retry after Retry-After (in a journey, with the same token: the same code is sent).',
    journey: 'same-token',
    extensions: ['retryAfter'],
  },
  EMAIL_UNAVAILABLE: {
    status: 409,
    title: 'Email not available',
    meaning: 'This deployment sends no email (EMAIL_PROVIDER=none): email codes and verification are not offered.',
  },
  PASSKEY_OPTIONS_REQUIRED: {
    status: 409,
    title: 'No passkey challenge yet',
    meaning: 'Ask for the passkey options first (the `options` operation of the step) and sign their challenge.',
    journey: 'same-token',
  },
  PASSKEY_INVALID: {
    status: 401,
    title: 'Passkey not accepted',
    meaning:
      'The assertion did not verify (unknown, revoked or cloned credential, wrong challenge or origin). Choose another factor or start again.',
    journey: 'same-token',
    extensions: ['attemptsLeft'],
  },
  PASSKEY_REGISTRATION_INVALID: {
    status: 400,
    title: 'Passkey registration refused',
    meaning:
      "The registration response did not verify against a live challenge of yours: ask for new options (a journey's passkey offer keeps its token).",
    journey: 'same-token',
    extensions: ['attemptsLeft'],
  },
  FACTOR_NOT_REVOCABLE: {
    status: 409,
    title: 'Factor not revocable here',
    meaning: 'This factor cannot be removed one by one (the phone number is changed in the directory).',
  },
  FACTOR_RESET_NOT_PENDING: {
    status: 409,
    title: 'No reset to approve',
    meaning:
      'The factor reset is unknown, already approved or expired, or the approving agent is the one who asked for it.',
  },
  PASSWORD_POLICY_VIOLATION: {
    status: 422,
    title: 'Password not accepted',
    meaning:
      'The new password breaks the password policy; `errors` names the rules broken (min_length, max_length, equals_username, breached). Choose another and send it with the same token.',
    journey: 'same-token',
    extensions: ['errors'],
  },
  CLIENT_ID_TAKEN: {
    status: 409,
    title: 'Client id taken',
    meaning: 'A client (active or deactivated: ids are never reused) already has this client id; choose another.',
  },
} as const satisfies Record<string, ProblemEntry>;

export type ProblemCode = keyof typeof PROBLEM_CATALOGUE;

/** `urn:ciam:problem:otp-invalid` for OTP_INVALID: stable, never a URL a client would fetch. */
export function problemType(code: string): string {
  return `urn:ciam:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

export function catalogued(code: string): ProblemEntry | undefined {
  return Object.prototype.hasOwnProperty.call(PROBLEM_CATALOGUE, code)
    ? (PROBLEM_CATALOGUE as Record<string, ProblemEntry>)[code]
    : undefined;
}
