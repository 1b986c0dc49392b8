import type { FastifyRequest } from 'fastify';
import { readFederationLinkCookie } from './federation-link-cookie';

/** Where a request came from, for sessions and audit. */
export interface RequestOrigin {
  ip: string | null;
  userAgent: string | null;
}

/**
 * The federation link cookie a request carried, kept beside its origin rather than in it: origins are spread into
 * audit records and service calls, and a secret must never ride along (see federation-link-cookie.ts).
 */
const federationLinkBindings = new WeakMap<RequestOrigin, string>();

export function requestOrigin(request: FastifyRequest): RequestOrigin {
  const userAgent = request.headers['user-agent'];
  const origin = { ip: request.ip ?? null, userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null };
  const binding = readFederationLinkCookie(request.headers.cookie);
  if (binding) federationLinkBindings.set(origin, binding);
  return origin;
}

/** The federation link cookie of the request this origin was made from, or the one it is being given. */
export function federationLinkBindingOf(origin: RequestOrigin): string | undefined {
  return federationLinkBindings.get(origin);
}

/** The federation callback gives its browser this binding (the controller then sets it as the cookie). */
export function bindFederationLink(origin: RequestOrigin, value: string): void {
  federationLinkBindings.set(origin, value);
}
