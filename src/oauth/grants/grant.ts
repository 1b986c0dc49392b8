import type { RequestOrigin } from '../../common/request-origin';
import type { TokenResponse } from '../../tokens/tokens.service';
import type { GrantType, OAuthClient } from '../../clients/oauth-client.entity';
import type { OAuthParams } from '../oauth-params';

export interface GrantRequest {
  client: OAuthClient;
  params: OAuthParams;
  origin: RequestOrigin;
  /** RFC 9449: the thumbprint of the key of the request's valid DPoP proof; null without one. */
  dpopJkt: string | null;
}

/** One grant type of the token endpoint (RFC 6749 §4), one file each, as node-oidc-provider does. */
export abstract class Grant {
  abstract readonly type: GrantType;
  abstract execute(request: GrantRequest): Promise<TokenResponse>;
}

/**
 * What a grant's transaction decided. A refusal is returned, not thrown, so that what the refusal
 * itself changed (a consumed code, a revoked family) commits with its audit event before the error
 * reaches the client.
 */
export type GrantOutcome = { tokens: TokenResponse } | { refused: string };
