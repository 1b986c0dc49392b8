import { Body, Controller, Headers, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestOrigin } from '../common/request-origin';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import type { OAuthClient } from '../clients/oauth-client.entity';
import type { TokenResponse } from '../tokens/tokens.service';
import { ClientAuthenticator } from './client-authentication';
import { OAuthErrorDto, TokenRequestDto, TokenResponseDto } from './dto/oauth.dto';
import { AuthorizationCodeGrant } from './grants/authorization-code.grant';
import { ClientCredentialsGrant } from './grants/client-credentials.grant';
import type { Grant } from './grants/grant';
import { RefreshTokenGrant } from './grants/refresh-token.grant';
import { InvalidRequestError, UnauthorizedClientError, UnsupportedGrantTypeError } from './oauth-errors';
import { OAuthParams } from './oauth-params';
import { endpointUrl, OAUTH_PATHS } from './oauth-endpoints';
import { DpopVerifier } from './proofs/dpop';

export const FORM = 'application/x-www-form-urlencoded';

/** RFC 6749 §3.2: parameters are form-encoded; a JSON body is a client mistake, not a different API. */
export function formParams(request: FastifyRequest, body: unknown): OAuthParams {
  if (
    !String(request.headers['content-type'] ?? '')
      .toLowerCase()
      .startsWith(FORM)
  ) {
    throw new InvalidRequestError(`the request body must be ${FORM}`);
  }
  return OAuthParams.from(body);
}

export function noStore(reply: FastifyReply): void {
  void reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
}

@ApiTags('oauth2')
@Controller('oauth2')
export class TokenController {
  private readonly grants: Map<string, Grant>;

  constructor(
    private readonly clients: ClientAuthenticator,
    authorizationCode: AuthorizationCodeGrant,
    refreshToken: RefreshTokenGrant,
    clientCredentials: ClientCredentialsGrant,
    private readonly dpop: DpopVerifier,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.grants = new Map<string, Grant>(
      [authorizationCode, refreshToken, clientCredentials].map((grant) => [grant.type, grant]),
    );
  }

  @Post('token')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Token endpoint (RFC 6749 §3.2)',
    description:
      'authorization_code with PKCE (S256), refresh_token (rotating, reuse detection) and client_credentials. ' +
      'Clients authenticate with client_secret_basic, client_secret_post or private_key_jwt (RFC 7523); public clients ' +
      'send only client_id. A DPoP header (RFC 9449) binds the access token (token_type DPoP, cnf.jkt) and the ' +
      "refresh token to the proof's key; clients registered with dpop_bound_access_tokens must send one.",
  })
  @ApiConsumes(FORM)
  @ApiBody({ type: TokenRequestDto })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiBadRequestResponse({
    type: OAuthErrorDto,
    description: 'invalid_request, invalid_grant, unauthorized_client, unsupported_grant_type, invalid_scope',
  })
  @ApiUnauthorizedResponse({ type: OAuthErrorDto, description: 'invalid_client' })
  async token(
    @Req() request: FastifyRequest,
    @Body() body: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponse> {
    const dpopHeader = request.headers.dpop;
    noStore(reply);
    const params = formParams(request, body);
    const grantType = params.required('grant_type', 128);
    const grant = this.grants.get(grantType);
    if (!grant) throw new UnsupportedGrantTypeError(grantType);
    const origin = requestOrigin(request);
    const { client } = await this.clients.authenticate(authorization, params, 'token', origin);
    if (!client.allowsGrant(grantType)) throw new UnauthorizedClientError(`this client may not use ${grantType}`);
    const dpopJkt = await this.dpopProof(client, dpopHeader, reply);
    return grant.execute({ client, params, origin, dpopJkt });
  }

  /**
   * RFC 9449 §5: a request with a DPoP header has its proof checked in full (one extra statement: its jti's
   * first use); a client registered with dpop_bound_access_tokens must send one, with a server nonce. Without
   * a header and for other clients, nothing: a bearer client's request costs what it always did.
   */
  private async dpopProof(
    client: OAuthClient,
    header: string | string[] | undefined,
    reply: FastifyReply,
  ): Promise<string | null> {
    if (header === undefined && !client.dpopBoundAccessTokens) return null;
    const requireNonce = this.config.proofs.dpopNonceRequired || client.dpopBoundAccessTokens;
    const proof = await this.dpop.verify(header, {
      method: 'POST',
      url: endpointUrl(this.config, OAUTH_PATHS.token),
      requireNonce,
      context: 'token',
    });
    // §8.2: the nonce for the client's next proof.
    if (requireNonce) void reply.header('DPoP-Nonce', this.dpop.nonce());
    return proof.jkt;
  }
}
