import { parseBearer } from '../common/bearer';
import { InvalidTokenError } from './oauth-errors';

/** The bearer token of a protected OAuth resource request, or RFC 6750's invalid_token. */
export function bearerToken(authorization: string | undefined): string {
  const token = parseBearer(authorization);
  if (!token) throw new InvalidTokenError('a bearer access token is required', authorization !== undefined);
  return token;
}
