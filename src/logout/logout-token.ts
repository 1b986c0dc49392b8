/** OpenID Connect Back-Channel Logout 1.0 §2.4: the event a logout token carries. */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** How long a logout token is valid: §2.4 recommends a short lifetime (two minutes, as for ID tokens' use). */
export const LOGOUT_TOKEN_TTL_SECONDS = 120;

/**
 * The claims of a logout token (§2.4): iss, aud (the client), iat, exp, jti, sub and sid (both as in the client's
 * ID tokens: the CUPID and the session id, or a pairwise client's pseudonyms of them), events; never a nonce (§2.4
 * forbids it, so a logout token cannot pass for an ID token). `jti` is stable across retries of one delivery (the outbox message), so a relying
 * party that received it once can tell a redelivery (at least once) from a new logout.
 */
export function logoutTokenClaims(input: {
  issuer: string;
  clientId: string;
  /** The client's sub for the customer: the CUPID, or the pairwise pseudonym. */
  sub: string;
  /** The client's sid for the session: the session id, or the pairwise pseudonym of it. */
  sid: string;
  jti: string;
  nowSeconds: number;
}): Record<string, unknown> {
  return {
    iss: input.issuer,
    aud: input.clientId,
    iat: input.nowSeconds,
    exp: input.nowSeconds + LOGOUT_TOKEN_TTL_SECONDS,
    jti: input.jti,
    sub: input.sub,
    sid: input.sid,
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
  };
}
