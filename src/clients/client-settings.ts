import { ACR_VALUES_SUPPORTED, normaliseAcr } from '../common/assurance';
import type { NodeEnv } from '../config/config';
import { deliveryUrlProblem } from '../outbox/delivery-url';
import { jwksProblems, jwksUriProblem, sectorHost } from './client-keys';
import {
  GRANT_TYPES,
  GrantType,
  OAuthClient,
  OAuthClientType,
  SUBJECT_TYPES,
  SubjectType,
  TOKEN_ENDPOINT_AUTH_METHODS,
  TokenEndpointAuthMethod,
} from './oauth-client.entity';

export const SUPPORTED_SCOPES = ['openid', 'profile', 'email', 'phone', 'offline_access'] as const;
/**
 * Scopes of this service's own API a client may hold besides the OpenID ones (not advertised in discovery: they are
 * not for relying parties): `api_tokens:manage` lets a confidential service hold API tokens on behalf of customers;
 * `federation:tokens` lets one of the bank's services obtain a customer's upstream access token (POST /federation/tokens).
 */
export const SERVICE_SCOPES = ['api_tokens:manage', 'federation:tokens'] as const;

/** Everything about a client an administrator sets (not its id, type, secret or state). */
export interface ClientSettings {
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: GrantType[];
  scopes: string[];
  canIntrospect: boolean;
  accessTokenTtlSeconds: number | null;
  idTokenTtlSeconds: number | null;
  refreshTokenTtlSeconds: number | null;
  sessionIdleTtlSeconds: number | null;
  sessionAbsoluteTtlSeconds: number | null;
  minAcr: string | null;
  backchannelLogoutUri: string | null;
  backchannelLogoutSessionRequired: boolean;
  firstParty: boolean;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod | null;
  jwks: { keys: Record<string, unknown>[] } | null;
  jwksUri: string | null;
  subjectType: SubjectType;
  sectorIdentifier: string | null;
  dpopBoundAccessTokens: boolean;
  allowedClaims: string[] | null;
}

export const CLIENT_SETTING_NAMES = [
  'name',
  'redirectUris',
  'postLogoutRedirectUris',
  'grantTypes',
  'scopes',
  'canIntrospect',
  'accessTokenTtlSeconds',
  'idTokenTtlSeconds',
  'refreshTokenTtlSeconds',
  'sessionIdleTtlSeconds',
  'sessionAbsoluteTtlSeconds',
  'minAcr',
  'backchannelLogoutUri',
  'backchannelLogoutSessionRequired',
  'firstParty',
  'tokenEndpointAuthMethod',
  'jwks',
  'jwksUri',
  'subjectType',
  'sectorIdentifier',
  'dpopBoundAccessTokens',
  'allowedClaims',
] as const satisfies ReadonlyArray<keyof ClientSettings>;

/** The settings null may remove (the others always have a value). */
export const NULLABLE_SETTINGS: ReadonlyArray<keyof ClientSettings> = [
  'accessTokenTtlSeconds',
  'idTokenTtlSeconds',
  'refreshTokenTtlSeconds',
  'sessionIdleTtlSeconds',
  'sessionAbsoluteTtlSeconds',
  'minAcr',
  'backchannelLogoutUri',
  'tokenEndpointAuthMethod',
  'jwks',
  'jwksUri',
  'sectorIdentifier',
  'allowedClaims',
];

/** A change to some settings; null removes an optional one. */
export type ClientUpdate = Partial<ClientSettings>;

export class ClientRegistrationError extends Error {}

/**
 * Whether a client of this type and token endpoint auth method keeps a secret: a confidential client does,
 * unless it authenticates with its keys (private_key_jwt, RFC 7523), which makes any secret useless (the
 * token endpoint refuses it). The oauth_clients_secret_by_auth_method check holds the same rule.
 */
export function holdsSecret(type: OAuthClientType, method: TokenEndpointAuthMethod | null): boolean {
  return type === 'CONFIDENTIAL' && method !== 'private_key_jwt';
}

export function settingsOf(client: OAuthClient): ClientSettings {
  const settings = {} as Record<string, unknown>;
  for (const name of CLIENT_SETTING_NAMES) settings[name] = client[name];
  return settings as unknown as ClientSettings;
}

/**
 * The settings as stored (minimum acr and sector identifier normalised), or a ClientRegistrationError naming
 * every problem. Checked as a whole, after a change is merged into the current settings: a rule that spans
 * fields (pairwise needs a sector, private_key_jwt needs keys) holds whichever field changed.
 */
export function checkedSettings(type: OAuthClientType, settings: ClientSettings, nodeEnv: NodeEnv): ClientSettings {
  const problems: string[] = [];
  const { grantTypes, redirectUris, postLogoutRedirectUris, scopes } = settings;
  if (typeof settings.name !== 'string' || settings.name.trim().length === 0 || settings.name.length > 128)
    problems.push('name: 1-128 characters');
  for (const grant of grantTypes) {
    if (!(GRANT_TYPES as readonly string[]).includes(grant)) problems.push(`unknown grant type "${grant}"`);
  }
  if (grantTypes.length === 0) problems.push('at least one grant type');
  if (type === 'PUBLIC' && grantTypes.includes('client_credentials'))
    problems.push('a public client cannot use client_credentials');
  if (type === 'PUBLIC' && settings.canIntrospect) problems.push('a public client cannot introspect');
  for (const scope of SERVICE_SCOPES) {
    if (scopes.includes(scope) && (type === 'PUBLIC' || !grantTypes.includes('client_credentials')))
      problems.push(`${scope} is for a confidential client with client_credentials`);
  }
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0)
    problems.push('authorization_code needs at least one redirect URI');
  for (const uri of [...redirectUris, ...postLogoutRedirectUris]) {
    if (!isAcceptableRedirectUri(uri))
      problems.push(`redirect URI "${uri}" must be an absolute https URL (http only for localhost), without fragment`);
  }
  for (const scope of scopes) {
    if (!([...SUPPORTED_SCOPES, ...SERVICE_SCOPES] as readonly string[]).includes(scope))
      problems.push(`unsupported scope "${scope}"`);
  }
  for (const claim of settings.allowedClaims ?? []) {
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(claim)) problems.push(`allowed claim "${claim}" is not a claim name`);
  }
  let minAcr = settings.minAcr;
  if (minAcr !== null) {
    minAcr = normaliseAcr(minAcr) ?? null;
    if (!minAcr)
      problems.push(
        `unknown level of assurance "${settings.minAcr}" (${ACR_VALUES_SUPPORTED.join(', ')}, or loa1-loa3)`,
      );
  }
  lifetimeProblems(settings, problems);
  if (settings.backchannelLogoutUri !== null) {
    const problem = backchannelUriProblem(settings.backchannelLogoutUri, nodeEnv);
    if (problem) problems.push(problem);
  }
  let sectorIdentifier = settings.sectorIdentifier;
  if (!(SUBJECT_TYPES as readonly string[]).includes(settings.subjectType))
    problems.push(`subject type: ${SUBJECT_TYPES.join(' or ')}`);
  if (sectorIdentifier !== null) {
    sectorIdentifier = sectorHost(sectorIdentifier);
    if (!sectorIdentifier)
      problems.push('sector identifier: an https host (bank.example) or https URI (https://bank.example/sector.json)');
  } else if (settings.subjectType === 'pairwise') {
    problems.push('a pairwise client needs a sector identifier');
  }
  if (settings.jwks !== null && settings.jwksUri !== null) problems.push('register jwks or jwks_uri, not both');
  if (settings.jwks !== null) problems.push(...jwksProblems(settings.jwks));
  if (settings.jwksUri !== null) {
    const problem = jwksUriProblem(settings.jwksUri, nodeEnv);
    if (problem) problems.push(problem);
  }
  const method = settings.tokenEndpointAuthMethod;
  if (method !== null && !(TOKEN_ENDPOINT_AUTH_METHODS as readonly string[]).includes(method))
    problems.push(`token endpoint auth method: ${TOKEN_ENDPOINT_AUTH_METHODS.join(', ')}`);
  else if (type === 'PUBLIC' && method !== null && method !== 'none')
    problems.push('a public client authenticates with none');
  else if (type === 'CONFIDENTIAL' && method === 'none') problems.push('a confidential client must authenticate');
  if (method === 'private_key_jwt' && settings.jwks === null && settings.jwksUri === null)
    problems.push('private_key_jwt needs jwks or jwks_uri');
  if (problems.length > 0) throw new ClientRegistrationError(problems.join('; '));
  return { ...settings, name: settings.name.trim(), minAcr, sectorIdentifier };
}

function lifetimeProblems(settings: ClientSettings, problems: string[]): void {
  const within = (value: number | null, min: number, max: number, what: string) => {
    if (value !== null && (!Number.isInteger(value) || value < min || value > max))
      problems.push(`${what} lifetime: ${min} to ${max} seconds`);
  };
  within(settings.accessTokenTtlSeconds, 30, 3600, 'access token');
  within(settings.idTokenTtlSeconds, 30, 86400, 'ID token');
  within(settings.refreshTokenTtlSeconds, 60, 365 * 86400, 'refresh token');
  within(settings.sessionIdleTtlSeconds, 60, 365 * 86400, 'session idle');
  within(settings.sessionAbsoluteTtlSeconds, 60, 365 * 86400, 'session absolute');
  if (
    settings.sessionIdleTtlSeconds !== null &&
    settings.sessionAbsoluteTtlSeconds !== null &&
    settings.sessionIdleTtlSeconds > settings.sessionAbsoluteTtlSeconds
  ) {
    problems.push('session idle lifetime cannot exceed the absolute one');
  }
}

export function backchannelUriProblem(uri: string, nodeEnv: NodeEnv): string | null {
  const problem = deliveryUrlProblem(uri, nodeEnv);
  return problem ? `back-channel logout URI "${uri}" ${problem}` : null;
}

/** RFC 9700 §2.1: exact, absolute redirect URIs; plain http only for loopback development. */
export function isAcceptableRedirectUri(uri: string): boolean {
  try {
    const url = new URL(uri);
    if (url.hash) return false;
    if (url.protocol === 'https:') return true;
    return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  } catch {
    return false;
  }
}
