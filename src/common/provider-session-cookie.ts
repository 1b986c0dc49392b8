/**
 * The provider session cookie (SSO, issue 15): the browser's handle on its sessions row. The value is a random
 * 256-bit secret; the row keeps only its SHA-256 (sessions.cookie_hash), so neither a database read nor a log
 * line yields a usable cookie. Under https it is `__Host-ciam_session` (RFC 6265bis §4.1.3.2: Secure, Path=/,
 * no Domain, so no sibling host can set or shadow it); under plain http (local development) `ciam_session`.
 * HttpOnly (no script reads it) and SameSite=Lax: sent on the top-level GET navigation to /oauth2/authorize that
 * SSO needs, never on a cross-site POST or subresource (CSRF); the authorize request's own state and PKCE bind
 * the rest.
 */
export interface SessionCookieSettings {
  /** The issuer URL: https gives the __Host- prefix and Secure. */
  issuer: string;
}

export function sessionCookieName(settings: SessionCookieSettings): string {
  return isHttps(settings) ? '__Host-ciam_session' : 'ciam_session';
}

/** The Set-Cookie header that gives the browser its session cookie (a session cookie: no Max-Age, gone with the browser). */
export function setSessionCookie(settings: SessionCookieSettings, value: string): string {
  return [`${sessionCookieName(settings)}=${value}`, ...attributes(settings)].join('; ');
}

/** The Set-Cookie header that removes it (RP-initiated logout, a session found ended). */
export function clearSessionCookie(settings: SessionCookieSettings): string {
  return [`${sessionCookieName(settings)}=`, ...attributes(settings), 'Max-Age=0'].join('; ');
}

/**
 * The cookie's value from a Cookie header, or undefined. Only a value of the shape we issue (base64url, 43
 * characters) is taken: anything else never reaches the database.
 */
export function readSessionCookie(settings: SessionCookieSettings, header: string | undefined): string | undefined {
  if (!header) return undefined;
  const name = sessionCookieName(settings);
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at < 0 || part.slice(0, at).trim() !== name) continue;
    const value = part.slice(at + 1).trim();
    if (/^[A-Za-z0-9_-]{43}$/.test(value)) return value;
  }
  return undefined;
}

function isHttps(settings: SessionCookieSettings): boolean {
  return settings.issuer.startsWith('https:');
}

function attributes(settings: SessionCookieSettings): string[] {
  return ['Path=/', 'HttpOnly', 'SameSite=Lax', ...(isHttps(settings) ? ['Secure'] : [])];
}
