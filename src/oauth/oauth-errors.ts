import { OAuthError } from '../common/oauth-error';

/**
 * The protocol's named RFC 6749 §5.2 (and RFC 6750 §3.1) errors. OAuth endpoints throw these; their base,
 * OAuthError, and the outage answer, ServerUnavailableError, live in src/common/oauth-error.ts, where the
 * exception filter renders them. Both are re-exported so that the protocol takes its errors from one file.
 */
export { OAuthError, ServerUnavailableError } from '../common/oauth-error';

export class InvalidRequestError extends OAuthError {
  constructor(description: string) {
    super('invalid_request', description);
  }
}

/** Client authentication failed. With HTTP Basic the answer is 401 with a challenge (RFC 6749 §5.2). */
export class InvalidClientError extends OAuthError {
  constructor(description = 'client authentication failed', usedBasic = false) {
    super('invalid_client', description, 401, usedBasic ? { 'WWW-Authenticate': 'Basic realm="ciam"' } : {});
  }
}

export class InvalidGrantError extends OAuthError {
  constructor(description = 'the grant is invalid, expired, revoked or was issued to another client') {
    super('invalid_grant', description);
  }
}

export class UnauthorizedClientError extends OAuthError {
  constructor(description: string) {
    super('unauthorized_client', description);
  }
}

export class UnsupportedGrantTypeError extends OAuthError {
  constructor(grantType: string) {
    super('unsupported_grant_type', `grant_type "${grantType.slice(0, 64)}" is not supported`);
  }
}

export class InvalidScopeError extends OAuthError {
  constructor(description: string) {
    super('invalid_scope', description);
  }
}

/**
 * RFC 6750: a missing, malformed, expired or revoked bearer token on a protected resource. A request that
 * carried no credentials at all gets a challenge without an error code (§3.1).
 */
export class InvalidTokenError extends OAuthError {
  constructor(description = 'the access token is invalid, expired or revoked', presented = true) {
    super('invalid_token', description, 401, {
      'WWW-Authenticate': presented
        ? `Bearer realm="ciam", error="invalid_token", error_description="${description.replace(/"/g, "'")}"`
        : 'Bearer realm="ciam"',
    });
  }
}
