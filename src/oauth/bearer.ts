import { InvalidTokenError } from './oauth-errors';

/** RFC 6750 §2.1: `Authorization: Bearer <token>`. */
export function bearerToken(authorization: string | undefined): string {
  const match = /^Bearer\s+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(authorization ?? '');
  if (!match) throw new InvalidTokenError('a bearer access token is required');
  return match[1];
}
