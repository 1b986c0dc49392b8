import type { FastifyRequest } from 'fastify';
import { readFederationLinkCookies } from './federation-link-cookie';

/** Where a request came from, for sessions and audit. */
export interface RequestOrigin {
  ip: string | null;
  userAgent: string | null;
}

/**
 * The federation link cookies a request carried (its Cookie header), or the binding its answer gives, kept beside
 * its origin rather than in it: origins are spread into audit records and service calls, and a secret must never
 * ride along (see federation-link-cookie.ts).
 */
const federationLinkBindings = new WeakMap<RequestOrigin, { cookieHeader?: string; issued?: string }>();

export function requestOrigin(request: FastifyRequest): RequestOrigin {
  const userAgent = request.headers['user-agent'];
  const origin = { ip: request.ip ?? null, userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null };
  const cookieHeader = request.headers.cookie;
  if (cookieHeader?.includes('ciam_fedlink_')) federationLinkBindings.set(origin, { cookieHeader });
  return origin;
}

/** The journey's federation link cookie of the request this origin was made from, or the one it is being given. */
export function federationLinkBindingOf(origin: RequestOrigin, issuer: string, journeyId: string): string | undefined {
  const kept = federationLinkBindings.get(origin);
  return kept?.issued ?? readFederationLinkCookies(issuer, kept?.cookieHeader).get(journeyId);
}

/** The federation callback gives its browser this binding (the controller then sets it as the cookie). */
export function bindFederationLink(origin: RequestOrigin, value: string): void {
  federationLinkBindings.set(origin, { ...federationLinkBindings.get(origin), issued: value });
}
