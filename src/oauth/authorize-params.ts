import { assuranceRank } from '../common/assurance';
import { OAuthParams } from './oauth-params';

/** Every parameter /oauth2/authorize reads (the POST form documents the same). */
export const AUTHORIZE_PARAMETERS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'max_age',
  'acr_values',
  'claims',
  'login_hint',
  'id_token_hint',
  'ui_locales',
  'idp_hint',
  'dpop_jkt',
] as const;

/** The prompt values we act on (discovery: prompt_values_supported). */
export const PROMPT_VALUES = ['none', 'login', 'consent'] as const;

export interface OidcParameters {
  prompt: string[];
  maxAge?: number;
  loginHint?: string;
  /** The level of assurance the request asks for (assuranceRank), 0 for none. */
  requiredRank: number;
}

/**
 * The OIDC Core §3.1.2.1 parameters of an authorization request. `prompt=none` with anything else is an error
 * (§3.1.2.1); consent asks the CONSENT step whatever the client (issue 16; without it only third-party clients
 * ask, src/consents/consent-rule.ts); select_account is accepted and satisfied (one account per browser session). acr_values (§3.1.2.1) and an `acr` claim request in `claims` (§5.5.1.1) give the
 * level asked: any listed value satisfies, so the lowest known one is what must be reached; unknown values are
 * ignored as the spec's voluntary claims, unless every value of an essential request is unknown.
 */
export function readOidcParameters(params: OAuthParams): OidcParameters | { error: string } {
  const prompt = (params.optional('prompt', 128) ?? '').split(' ').filter(Boolean);
  if (prompt.some((value) => !['none', 'login', 'consent', 'select_account'].includes(value)))
    return { error: 'prompt has an unknown value' };
  if (prompt.includes('none') && prompt.length > 1)
    return { error: 'prompt=none cannot be combined with other values' };

  const maxAgeText = params.optional('max_age', 10);
  if (maxAgeText !== undefined && !/^\d{1,9}$/.test(maxAgeText))
    return { error: 'max_age must be a non-negative number of seconds' };

  const ranks: number[] = [];
  const acrValues = (params.optional('acr_values', 512) ?? '').split(' ').filter(Boolean);
  const known = acrValues.map(assuranceRank).filter((rank) => rank > 0);
  if (known.length > 0) ranks.push(Math.min(...known));

  const claimsText = params.optional('claims', 4096);
  if (claimsText !== undefined) {
    let claims: unknown;
    try {
      claims = JSON.parse(claimsText);
    } catch {
      return { error: 'claims is not JSON' };
    }
    const acr = (claims as { id_token?: { acr?: unknown } } | null)?.id_token?.acr;
    if (acr && typeof acr === 'object') {
      const request = acr as { essential?: unknown; value?: unknown; values?: unknown };
      const values = [
        ...(typeof request.value === 'string' ? [request.value] : []),
        ...(Array.isArray(request.values) ? request.values.filter((v): v is string => typeof v === 'string') : []),
      ];
      const claimRanks = values.map(assuranceRank).filter((rank) => rank > 0);
      if (claimRanks.length > 0) ranks.push(Math.min(...claimRanks));
      else if (request.essential === true && values.length > 0)
        return { error: 'the essential acr values asked for are not supported' };
    }
  }

  const loginHint = params.optional('login_hint', 256);
  return {
    prompt,
    ...(maxAgeText !== undefined ? { maxAge: Number(maxAgeText) } : {}),
    ...(loginHint ? { loginHint } : {}),
    requiredRank: Math.max(0, ...ranks),
  };
}
