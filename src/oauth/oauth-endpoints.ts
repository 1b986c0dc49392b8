import type { AppConfig } from '../config/config';

/** Every OAuth / OIDC endpoint path, in one place: the routes and the discovery document both use these. */
export const OAUTH_PATHS = {
  authorize: '/oauth2/authorize',
  token: '/oauth2/token',
  jwks: '/oauth2/jwks',
  userinfo: '/oauth2/userinfo',
  introspect: '/oauth2/introspect',
  revoke: '/oauth2/revoke',
  endSession: '/oauth2/end_session',
} as const;

export function endpointUrl(config: AppConfig, path: string): string {
  return `${config.oidc.issuer}${path}`;
}
