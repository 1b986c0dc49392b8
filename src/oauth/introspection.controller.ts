import { Body, Controller, Headers, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestOrigin } from '../common/request-origin';
import { ClientsService } from '../clients/clients.service';
import { IntrospectionResponse, TokensService } from '../tokens/tokens.service';
import { ClientAuthenticator } from './client-authentication';
import { IntrospectionResponseDto, OAuthErrorDto, TokenOnlyRequestDto } from './dto/oauth.dto';
import { InvalidClientError, OAuthError } from './oauth-errors';
import { FORM, formParams, noStore } from './token.controller';

@ApiTags('oauth2')
@Controller('oauth2')
export class IntrospectionController {
  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly tokens: TokensService,
    private readonly registered: ClientsService,
  ) {}

  @Post('introspect')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Token introspection (RFC 7662)',
    description:
      'For confidential clients allowed to introspect. A token that is unknown, expired, revoked, rotated or whose session ended, and a refresh token of another client, answers only {"active": false}.',
  })
  @ApiConsumes(FORM)
  @ApiBody({ type: TokenOnlyRequestDto })
  @ApiOkResponse({ type: IntrospectionResponseDto })
  @ApiUnauthorizedResponse({ type: OAuthErrorDto, description: 'invalid_client' })
  @ApiForbiddenResponse({ type: OAuthErrorDto, description: 'the client may not introspect' })
  async introspect(
    @Req() request: FastifyRequest,
    @Body() body: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<IntrospectionResponse> {
    noStore(reply);
    const params = formParams(request, body);
    const { client } = await this.clients.authenticate(authorization, params, 'introspect', requestOrigin(request));
    if (!client.canIntrospect || client.isPublic)
      throw new OAuthError('unauthorized_client', 'this client may not introspect tokens', 403);
    const token = params.required('token', 4096);
    const answer = await this.tokens.introspect(token, client.clientId, (first) =>
      this.registered.activeGuard(client, first),
    );
    if (answer) return answer;
    // Deactivated (or its secret changed) since this instance cached it.
    this.registered.forget(client.clientId);
    throw new InvalidClientError('client authentication failed', authorization !== undefined);
  }
}
