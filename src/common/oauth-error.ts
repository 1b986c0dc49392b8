/**
 * RFC 6749 §5.2 (and RFC 6750 §3.1) errors: what the exception filter and the HTTP edge answer as
 * `{ "error", "error_description" }` JSON on the OAuth endpoints, never as problem+json. The base lives
 * here, beside problem+json, because rendering errors is the platform's job; the protocol's named errors
 * (src/oauth/oauth-errors.ts) extend it. Descriptions are safe to show and never carry a secret.
 */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
    /** Extra response headers (WWW-Authenticate on 401, Retry-After on 503). */
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
    this.name = new.target.name;
  }
}

/**
 * A dependency (the database, the directory) is down or timed out: retry after `retryAfterSeconds`
 * (RFC 6749 §4.1.2.1 `temporarily_unavailable`, which clients know to retry). Here because the filter
 * answers every outage on an OAuth endpoint with it.
 */
export class ServerUnavailableError extends OAuthError {
  constructor(retryAfterSeconds = 5) {
    super('temporarily_unavailable', 'the authorization server is temporarily unavailable', 503, {
      'Retry-After': String(retryAfterSeconds),
    });
  }
}
