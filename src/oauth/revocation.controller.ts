import { Body, Controller, Headers, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestOrigin } from '../common/request-origin';
import { ClientAuthenticator } from './client-authentication';
import { OAuthErrorDto, TokenOnlyRequestDto } from './dto/oauth.dto';
import { FORM, formParams, noStore } from './token.controller';
import { TokenRevocationService } from './token-revocation.service';

@ApiTags('oauth2')
@Controller('oauth2')
export class RevocationController {
  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly revocation: TokenRevocationService,
  ) {}

  @Post('revoke')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Token revocation (RFC 7009)',
    description:
      "Revoking a refresh token ends its session and every token in it (a third-party application's: only its own tokens in the session). Always 200 for a token the client may not see.",
  })
  @ApiConsumes(FORM)
  @ApiBody({ type: TokenOnlyRequestDto })
  @ApiOkResponse({ description: 'Revoked, or nothing to revoke' })
  @ApiUnauthorizedResponse({ type: OAuthErrorDto, description: 'invalid_client' })
  async revoke(
    @Req() request: FastifyRequest,
    @Body() body: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    noStore(reply);
    const params = formParams(request, body);
    const origin = requestOrigin(request);
    const { client } = await this.clients.authenticate(authorization, params, 'revoke', origin);
    await this.revocation.revoke(client, params.required('token', 4096), origin);
  }
}
