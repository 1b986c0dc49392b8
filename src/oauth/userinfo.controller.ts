import { Controller, Get, Headers, HttpCode, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { TokensService } from '../tokens/tokens.service';
import { bearerToken } from './bearer';
import { OAuthErrorDto, UserinfoResponseDto } from './dto/oauth.dto';
import { DirectoryUnavailableError, UserDirectory } from '../directory/user-directory.port';
import { InvalidTokenError, OAuthError, ServerUnavailableError } from './oauth-errors';
import { noStore } from './token.controller';

@ApiTags('oauth2')
@ApiBearerAuth('customer')
@Controller('oauth2')
export class UserinfoController {
  constructor(
    private readonly tokens: TokensService,
    private readonly directory: UserDirectory,
  ) {}

  @Get('userinfo')
  @ApiOperation({
    summary: 'UserInfo (OIDC Core §5.3)',
    description:
      'Claims about the customer the access token was issued for: sub, and by scope profile (name, preferred_username), ' +
      'email (email) and phone (phone_number), read from the directory. The token is checked against its row: a revoked token or ' +
      'ended session is refused at once.',
  })
  @ApiOkResponse({ type: UserinfoResponseDto })
  @ApiUnauthorizedResponse({ type: OAuthErrorDto, description: 'invalid_token (WWW-Authenticate: Bearer)' })
  get(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserinfoResponseDto> {
    return this.userinfo(authorization, reply);
  }

  @Post('userinfo')
  @HttpCode(200)
  @ApiOperation({ summary: 'UserInfo (OIDC Core §5.3), POST form' })
  @ApiOkResponse({ type: UserinfoResponseDto })
  @ApiUnauthorizedResponse({ type: OAuthErrorDto })
  post(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserinfoResponseDto> {
    return this.userinfo(authorization, reply);
  }

  private async userinfo(authorization: string | undefined, reply: FastifyReply): Promise<UserinfoResponseDto> {
    noStore(reply);
    const context = await this.tokens.validateAccessToken(bearerToken(authorization));
    if (!context) throw new InvalidTokenError();
    if (!context.cupid || !context.scope.includes('openid')) {
      throw new OAuthError('insufficient_scope', 'the access token was not issued for an openid login', 403, {
        'WWW-Authenticate': 'Bearer realm="ciam", error="insufficient_scope", scope="openid"',
      });
    }
    return { sub: context.subject ?? context.cupid, ...(await this.claims(context.cupid, context.scope)) };
  }

  /**
   * OIDC Core §5.4: the standard claims the granted scopes release, read from the directory now (nothing
   * about the customer is stored here). A directory outage is a 503, never a partial answer.
   */
  private async claims(cupid: string, scopes: string[]): Promise<Record<string, unknown>> {
    const wanted = scopes.filter((scope) => scope === 'profile' || scope === 'email' || scope === 'phone');
    if (wanted.length === 0) return {};
    let user;
    try {
      user = await this.directory.findByCupid(cupid);
    } catch (error) {
      if (error instanceof DirectoryUnavailableError) throw new ServerUnavailableError();
      throw error;
    }
    if (!user) return {};
    return {
      ...(wanted.includes('profile')
        ? { ...(user.displayName ? { name: user.displayName } : {}), preferred_username: user.username }
        : {}),
      ...(wanted.includes('email') && user.email ? { email: user.email } : {}),
      ...(wanted.includes('phone') && user.phoneNumber ? { phone_number: user.phoneNumber } : {}),
    };
  }
}
