import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clearSessionCookie } from '../common/provider-session-cookie';
import { requestOrigin } from '../common/request-origin';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { OAuthErrorDto, SignedOutDto } from './dto/oauth.dto';
import { EndSessionService } from './end-session.service';
import { OAuthParams } from './oauth-params';
import { FORM, noStore } from './token.controller';

/** OpenID Connect RP-Initiated Logout 1.0, by query or form post; the rules are in end-session.service.ts. */
@ApiTags('oauth2')
@Controller('oauth2')
export class EndSessionController {
  constructor(
    private readonly endSessions: EndSessionService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('end_session')
  @ApiOperation({
    summary: 'End session (OIDC RP-Initiated Logout)',
    description: 'Revokes the session named by id_token_hint and its tokens.',
  })
  @ApiQuery({ name: 'id_token_hint', required: true })
  @ApiQuery({ name: 'post_logout_redirect_uri', required: false })
  @ApiQuery({ name: 'state', required: false })
  @ApiQuery({ name: 'client_id', required: false })
  @ApiFoundResponse({ description: 'Redirect to the registered post_logout_redirect_uri (with state)' })
  @ApiOkResponse({ type: SignedOutDto, description: 'Signed out; no redirect was asked for' })
  @ApiBadRequestResponse({ type: OAuthErrorDto })
  viaQuery(
    @Query() query: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SignedOutDto | undefined> {
    return this.endSession(OAuthParams.from(query), request, reply);
  }

  @Post('end_session')
  @HttpCode(200)
  @ApiOperation({ summary: 'End session (form post)' })
  @ApiConsumes(FORM)
  @ApiBody({
    description: 'The same parameters as the GET form, form-encoded',
    schema: {
      type: 'object',
      required: ['id_token_hint'],
      properties: {
        id_token_hint: { type: 'string', description: 'An ID token this provider issued for the session' },
        post_logout_redirect_uri: { type: 'string', format: 'uri', description: 'Registered for the client' },
        state: { type: 'string' },
        client_id: { type: 'string' },
      },
      example: {
        id_token_hint:
          'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJodHRwOi8vbG9jYWxob3N0OjMwMDAiLCJzaWQiOiIyYjFjOWE1ZSJ9.c2lnbmF0dXJl',
        post_logout_redirect_uri: 'http://localhost:5173/',
        state: 'af0ifjsldkj',
      },
    },
  })
  @ApiFoundResponse({ description: 'Redirect to the registered post_logout_redirect_uri (with state)' })
  @ApiOkResponse({ type: SignedOutDto, description: 'Signed out; no redirect was asked for' })
  @ApiBadRequestResponse({ type: OAuthErrorDto })
  viaForm(
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SignedOutDto | undefined> {
    return this.endSession(OAuthParams.from(body), request, reply);
  }

  private async endSession(
    params: OAuthParams,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<SignedOutDto | undefined> {
    noStore(reply);
    const { redirectTo } = await this.endSessions.endSession(
      {
        idTokenHint: params.required('id_token_hint', 4096),
        postLogoutRedirectUri: params.optional('post_logout_redirect_uri'),
        state: params.optional('state', 512),
        clientId: params.optional('client_id', 128),
      },
      requestOrigin(request),
    );
    // The session ended: the browser's provider session cookie goes with it (issue 15), so no later
    // /oauth2/authorize finds it (the row is revoked anyway; this also tidies the browser).
    void reply.header('Set-Cookie', clearSessionCookie({ issuer: this.config.oidc.issuer }));
    if (redirectTo) {
      void reply.status(302).header('Location', redirectTo);
      return undefined;
    }
    return { status: 'signed_out' };
  }
}
