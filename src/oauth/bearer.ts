import { parseBearer } from '../common/bearer';
import { InvalidTokenError } from './oauth-errors';

/** RFC 9449 §7.1: the token of an `Authorization: DPoP <token>` header, or null. */
export function parseDpopAuthorization(authorization: string | undefined): string | null {
  const match = /^DPoP\s+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(authorization ?? '');
  return match ? match[1] : null;
}

/** The bearer token of a protected OAuth resource request, or RFC 6750's invalid_token. */
export function bearerToken(authorization: string | undefined): string {
  const token = parseBearer(authorization);
  if (!token) throw new InvalidTokenError('a bearer access token is required', authorization !== undefined);
  return token;
}
