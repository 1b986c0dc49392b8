/**
 * The browser binding of a pending federation link (issue 21 review): a first sign-in through an upstream provider
 * whose subject is linked to no CUPID is linked to the CUPID that the rest of the journey proves. Without a binding
 * an attacker could sign in at the provider with their own account, then hand the journey (its id and transaction
 * token, in a login page URL's fragment) to a victim, whose password would link the attacker's account to the
 * victim's CUPID: login CSRF turned account takeover. So the callback gives the browser that finished it this
 * cookie (a random 256-bit value; the journey keeps only its SHA-256, sealed) and the link is made only when the
 * journey completes in a request that carries it. One cookie per journey (two tabs never overwrite each other);
 * HttpOnly (no script, so no fragment, carries it), SameSite=Strict; under https `__Host-` (RFC 6265bis
 * §4.1.3.2: Secure, Path=/, no Domain, so no sibling host can toss its own value in), under plain http (local
 * development) scoped to the journey's API path.
 */
const NAME = 'ciam_fedlink_';
const HOST_PREFIX = '__Host-';

function cookieName(issuer: string, journeyId: string): string {
  return `${issuer.startsWith('https:') ? HOST_PREFIX : ''}${NAME}${journeyId}`;
}

export function setFederationLinkCookie(
  issuer: string,
  journeyId: string,
  value: string,
  maxAgeSeconds: number,
): string {
  const https = issuer.startsWith('https:');
  return [
    `${cookieName(issuer, journeyId)}=${value}`,
    `Path=${https ? '/' : `/journeys/${journeyId}`}`,
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(https ? ['Secure'] : []),
  ].join('; ');
}

/**
 * The binding cookies of a Cookie header by journey id (only values of the shape we issue: base64url, 43
 * characters). Under https only `__Host-` ones count: a plain-named cookie may have come from a sibling host.
 */
export function readFederationLinkCookies(issuer: string, header: string | undefined): Map<string, string> {
  const found = new Map<string, string>();
  if (!header) return found;
  const prefix = `${issuer.startsWith('https:') ? HOST_PREFIX : ''}${NAME}`;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    const name = at < 0 ? '' : part.slice(0, at).trim();
    if (!name.startsWith(prefix)) continue;
    const journeyId = name.slice(prefix.length);
    const value = part.slice(at + 1).trim();
    if (/^[0-9a-f-]{36}$/.test(journeyId) && /^[A-Za-z0-9_-]{43}$/.test(value)) found.set(journeyId, value);
  }
  return found;
}
