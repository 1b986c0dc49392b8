import { Body, Controller, Headers, HttpCode, Post, Req, Res } from '@nestjs/common';
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
import type { TokenResponse } from '../tokens/tokens.service';
import { ClientAuthenticator } from './client-authentication';
import { OAuthErrorDto, TokenRequestDto, TokenResponseDto } from './dto/oauth.dto';
import { AuthorizationCodeGrant } from './grants/authorization-code.grant';
import { ClientCredentialsGrant } from './grants/client-credentials.grant';
import type { Grant } from './grants/grant';
import { RefreshTokenGrant } from './grants/refresh-token.grant';
import { InvalidRequestError, UnauthorizedClientError, UnsupportedGrantTypeError } from './oauth-errors';
import { OAuthParams } from './oauth-params';

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
      'Clients authenticate with client_secret_basic or client_secret_post; public clients send only client_id.',
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
    noStore(reply);
    const params = formParams(request, body);
    const grantType = params.required('grant_type', 128);
    const grant = this.grants.get(grantType);
    if (!grant) throw new UnsupportedGrantTypeError(grantType);
    const origin = requestOrigin(request);
    const { client } = await this.clients.authenticate(authorization, params, 'token', origin);
    if (!client.allowsGrant(grantType)) throw new UnauthorizedClientError(`this client may not use ${grantType}`);
    return grant.execute({ client, params, origin });
  }
}
