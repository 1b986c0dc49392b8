import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiFoundResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../common/problem';
import { requestOrigin } from '../common/request-origin';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { JourneyService } from '../journeys/journey.service';
import { ClientsService } from '../clients/clients.service';
import { OAuthError } from './oauth-errors';
import { OAuthErrorDto } from './dto/oauth.dto';
import { OAuthParams } from './oauth-params';

/**
 * The browser entry point (RFC 6749 §4.1.1 with PKCE). A valid request starts the same journey the REST
 * API starts and sends the browser to the login UI with the journey in the URL fragment (never sent to
 * a server or a Referer). The journey's last response carries the redirect back with code and state.
 * Until the client and redirect URI are known to be genuine, errors are shown, never redirected
 * (RFC 6749 §4.1.2.1).
 */
@ApiTags('oauth2')
@Controller('oauth2')
export class AuthorizeController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clients: ClientsService,
    private readonly journeys: JourneyService,
  ) {}

  @Get('authorize')
  @ApiOperation({
    summary: 'Authorization endpoint (browser redirect)',
    description: 'Starts a login journey and redirects the browser to the login UI.',
  })
  @ApiQuery({ name: 'response_type', enum: ['code'] })
  @ApiQuery({ name: 'client_id' })
  @ApiQuery({ name: 'redirect_uri' })
  @ApiQuery({ name: 'scope', example: 'openid profile' })
  @ApiQuery({ name: 'state', required: false })
  @ApiQuery({ name: 'nonce', required: false })
  @ApiQuery({ name: 'code_challenge' })
  @ApiQuery({ name: 'code_challenge_method', enum: ['S256'] })
  @ApiQuery({ name: 'ui_locales', required: false, example: 'de en', description: 'Passed on to the login UI' })
  @ApiFoundResponse({
    description:
      'To the login UI (`#journey=...&transaction_token=...&step=PASSWORD`), or back to the client with an error',
  })
  @ApiBadRequestResponse({
    type: OAuthErrorDto,
    description:
      'invalid_request, shown and never redirected: unknown client_id, a redirect_uri not registered for it, or hostile bytes in the request',
  })
  async authorize(@Query() query: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const params = OAuthParams.from(query);
    const clientId = params.required('client_id', 128);
    const redirectUri = params.required('redirect_uri');
    const client = await this.clients.findActive(clientId);
    if (!client) throw new OAuthError('invalid_request', 'unknown client_id');
    if (!client.redirectUris.includes(redirectUri))
      throw new OAuthError('invalid_request', 'redirect_uri is not registered for this client');

    const state = params.optional('state', 512);
    const back = (error: string, description: string) => {
      const target = new URL(redirectUri);
      target.searchParams.set('error', error);
      target.searchParams.set('error_description', description);
      if (state) target.searchParams.set('state', state);
      target.searchParams.set('iss', this.config.oidc.issuer);
      void reply.status(302).header('Location', target.toString()).header('Cache-Control', 'no-store').send();
    };
    try {
      if (params.optional('response_type') !== 'code')
        return back('unsupported_response_type', 'only response_type=code is supported');
      if (!client.allowsGrant('authorization_code'))
        return back('unauthorized_client', 'this client may not use the authorization code flow');
      const challenge = params.optional('code_challenge', 128);
      if (!challenge || params.optional('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
        return back('invalid_request', 'PKCE is required: code_challenge with code_challenge_method=S256');
      }
      // OIDC Core §6: request objects are not supported (discovery says so); ignoring one would honour
      // parameters the client did not mean, so the request is refused instead.
      if (params.optional('request', 8192) !== undefined)
        return back('request_not_supported', 'request objects are not supported');
      if (params.optional('request_uri') !== undefined)
        return back('request_uri_not_supported', 'request_uri is not supported');
      // OIDC Core §3.1.2.1: prompt=none must not show a login page; there is no browser session to reuse.
      if ((params.optional('prompt', 128) ?? '').split(' ').includes('none'))
        return back('login_required', 'the customer must sign in');
      const scope = params.optional('scope', 1024) ?? '';
      if (scope.trim().length === 0) return back('invalid_scope', 'scope is required');
      const view = await this.journeys.start(
        {
          clientId,
          redirectUri,
          codeChallenge: challenge,
          codeChallengeMethod: 'S256',
          scope,
          nonce: params.optional('nonce', 256),
          state,
          channel: 'WEB',
          startedBy: 'authorize',
        },
        requestOrigin(request),
      );
      const login = new URL(this.config.journeys.loginUiUrl);
      // OIDC Core §3.1.2.1: the relying party's preferred languages go along for the login UI (tags only).
      const uiLocales = params.optional('ui_locales', 128);
      login.hash = new URLSearchParams({
        journey: view.journeyId,
        transaction_token: view.transactionToken ?? '',
        step: view.nextStep?.type ?? '',
        ...(uiLocales && /^[A-Za-z0-9 -]+$/.test(uiLocales) ? { ui_locales: uiLocales } : {}),
      }).toString();
      void reply.status(302).header('Location', login.toString()).header('Cache-Control', 'no-store').send();
    } catch (error) {
      if (error instanceof OAuthError) return back(error.error, error.description);
      if (error instanceof ApiError && error.status < 500)
        return back(error.status === 400 ? 'invalid_request' : 'access_denied', error.detail ?? error.title);
      throw error;
    }
  }
}
