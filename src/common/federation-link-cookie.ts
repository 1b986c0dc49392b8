/**
 * The browser binding of a pending federation link (issue 21 review): a first sign-in through an upstream provider
 * whose subject is linked to no CUPID is linked to the CUPID that the rest of the journey proves. Without a binding
 * an attacker could sign in at the provider with their own account, then hand the journey (its id and transaction
 * token, in a login page URL's fragment) to a victim, whose password would link the attacker's account to the
 * victim's CUPID: login CSRF turned account takeover. So the callback gives the browser that finished it this
 * cookie (a random 256-bit value; the journey keeps only its SHA-256, sealed) and the link is made only when the
 * journey completes in a request that carries it. HttpOnly (no script, so no fragment, carries it),
 * SameSite=Strict, Path scoped to the journey's own API.
 */
export const FEDERATION_LINK_COOKIE = 'ciam_fedlink';

export function setFederationLinkCookie(
  issuer: string,
  journeyId: string,
  value: string,
  maxAgeSeconds: number,
): string {
  return [
    `${FEDERATION_LINK_COOKIE}=${value}`,
    `Path=/journeys/${journeyId}`,
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(issuer.startsWith('https:') ? ['Secure'] : []),
  ].join('; ');
}

/** The cookie's value from a Cookie header (only of the shape we issue: base64url, 43 characters), or undefined. */
export function readFederationLinkCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at < 0 || part.slice(0, at).trim() !== FEDERATION_LINK_COOKIE) continue;
    const value = part.slice(at + 1).trim();
    if (/^[A-Za-z0-9_-]{43}$/.test(value)) return value;
  }
  return undefined;
}
