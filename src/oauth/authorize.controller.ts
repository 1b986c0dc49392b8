import { Body, Controller, Get, Inject, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiFoundResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { acrOfRank, assuranceRank } from '../common/assurance';
import { Clock } from '../common/clock';
import { ApiError } from '../common/problem';
import { readSessionCookie, setSessionCookie } from '../common/provider-session-cookie';
import { requestOrigin } from '../common/request-origin';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { JourneyService } from '../journeys/journey.service';
import { ClientsService } from '../clients/clients.service';
import { JWK_THUMBPRINT } from '../tokens/authorization-codes.service';
import { OAuthError } from './oauth-errors';
import { OAuthErrorDto } from './dto/oauth.dto';
import { IdTokenHints } from './id-token-hint';
import { AUTHORIZE_PARAMETERS, readOidcParameters } from './authorize-params';
import { OAuthParams } from './oauth-params';
import { SsoService } from './sso.service';

/** One authorization request, as the form post's example (the same parameters as the GET form). */
const AUTHORIZE_EXAMPLE: Record<(typeof AUTHORIZE_PARAMETERS)[number], string> = {
  response_type: 'code',
  client_id: 'demo-spa',
  redirect_uri: 'http://localhost:5173/callback',
  scope: 'openid profile',
  state: 'af0ifjsldkj',
  nonce: 'n-0S6_WzA2Mj',
  code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  code_challenge_method: 'S256',
  prompt: 'login',
  max_age: '300',
  acr_values: 'urn:ciam:loa:2',
  claims: '{"id_token":{"acr":{"essential":true,"values":["urn:ciam:loa:2"]}}}',
  login_hint: 'alice',
  id_token_hint: 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJodHRwOi8vbG9jYWxob3N0OjMwMDAiLCJzaWQiOiIyYjFjOWE1ZSJ9.c2lnbmF0dXJl',
  ui_locales: 'de en',
  idp_hint: 'bankid',
  dpop_jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
};

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
    private readonly sso: SsoService,
    private readonly hints: IdTokenHints,
    private readonly clock: Clock,
  ) {}

  @Get('authorize')
  @ApiOperation({
    summary: 'Authorization endpoint (browser redirect)',
    description:
      "With a live provider session (the browser's session cookie) answers with a code at once (SSO); otherwise " +
      'starts a login, or a step-up of the session when it is below the level asked, and redirects the browser to the login UI.',
  })
  @ApiQuery({ name: 'response_type', enum: ['code'] })
  @ApiQuery({ name: 'client_id' })
  @ApiQuery({ name: 'redirect_uri' })
  @ApiQuery({ name: 'scope', example: 'openid profile' })
  @ApiQuery({ name: 'state', required: false })
  @ApiQuery({ name: 'nonce', required: false })
  @ApiQuery({ name: 'code_challenge' })
  @ApiQuery({ name: 'code_challenge_method', enum: ['S256'] })
  @ApiQuery({ name: 'prompt', required: false, example: 'login', description: 'none, login (OIDC Core §3.1.2.1)' })
  @ApiQuery({ name: 'max_age', required: false, example: '300', description: 'Seconds since the last authentication' })
  @ApiQuery({
    name: 'acr_values',
    required: false,
    example: 'urn:ciam:loa:2',
    description: 'Levels of assurance asked',
  })
  @ApiQuery({
    name: 'claims',
    required: false,
    example: '{"id_token":{"acr":{"essential":true,"values":["urn:ciam:loa:2"]}}}',
    description: 'JSON; only id_token.acr is acted on (essential)',
  })
  @ApiQuery({ name: 'login_hint', required: false, example: 'alice', description: 'Prefills the username' })
  @ApiQuery({
    name: 'id_token_hint',
    required: false,
    description: "An ID token we issued; its sub must be the session's",
  })
  @ApiQuery({ name: 'ui_locales', required: false, example: 'de en', description: 'Passed on to the login UI' })
  @ApiQuery({
    name: 'dpop_jkt',
    type: String,
    required: false,
    example: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
    description:
      'RFC 9449 §10: the SHA-256 JWK thumbprint of the DPoP key the client will redeem the code with; the code is ' +
      'then redeemed only with a DPoP proof of that key (invalid_grant otherwise)',
  })
  @ApiFoundResponse({
    description:
      'To the login UI (`#journey=...&transaction_token=...&step=PASSWORD`), or back to the client with a code (SSO) or an error',
  })
  @ApiBadRequestResponse({
    type: OAuthErrorDto,
    description:
      'invalid_request, shown and never redirected: unknown client_id, a redirect_uri not registered for it, or hostile bytes in the request',
  })
  viaQuery(@Query() query: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.authorize(OAuthParams.from(query), request, reply);
  }

  /** OIDC Core §3.1.2.1: the authorization endpoint takes POST (form-encoded) as well as GET, with the same parameters. */
  @Post('authorize')
  @ApiOperation({ summary: 'Authorization endpoint by form post', description: 'The same parameters as the GET form' })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['response_type', 'client_id', 'redirect_uri', 'code_challenge', 'code_challenge_method'],
      properties: Object.fromEntries(
        AUTHORIZE_PARAMETERS.map((name) => [name, { type: 'string', example: AUTHORIZE_EXAMPLE[name] }]),
      ),
      example: AUTHORIZE_EXAMPLE,
    },
  })
  @ApiFoundResponse({ description: 'As the GET form' })
  @ApiBadRequestResponse({ type: OAuthErrorDto, description: 'As the GET form' })
  viaForm(@Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.authorize(OAuthParams.from(body), request, reply);
  }

  private async authorize(params: OAuthParams, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const clientId = params.required('client_id', 128);
    const redirectUri = params.required('redirect_uri');
    const client = await this.clients.findActive(clientId);
    if (!client) throw new OAuthError('invalid_request', 'unknown client_id');
    if (!client.redirectUris.includes(redirectUri))
      throw new OAuthError('invalid_request', 'redirect_uri is not registered for this client');

    const state = params.optional('state', 512);
    const redirect = (values: Record<string, string>) => {
      const target = new URL(redirectUri);
      for (const [name, value] of Object.entries(values)) target.searchParams.set(name, value);
      if (state) target.searchParams.set('state', state);
      // RFC 9207: every authorization response, success or error, names the issuer.
      target.searchParams.set('iss', this.config.oidc.issuer);
      void reply.status(302).header('Location', target.toString()).header('Cache-Control', 'no-store').send();
    };
    const back = (error: string, description: string) => redirect({ error, error_description: description });
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
      const scope = params.optional('scope', 1024) ?? '';
      const scopes = scope.split(' ').filter(Boolean);
      if (scopes.length === 0) return back('invalid_scope', 'scope is required');
      // RFC 6749 §4.1.2.1: a scope unknown to us or not registered for the client is invalid_scope.
      const beyond = scopes.filter((value) => !client.scopes.includes(value));
      if (beyond.length > 0) return back('invalid_scope', `scope not allowed for this client: ${beyond.join(' ')}`);
      const oidc = readOidcParameters(params);
      if ('error' in oidc) return back('invalid_request', oidc.error);
      const { prompt, maxAge, loginHint } = oidc;
      // idp_hint (Keycloak's kc_idp_hint): start with this upstream provider (a hint: the step checks it is active).
      const idpHint = params.optional('idp_hint', 64);
      if (idpHint !== undefined && !/^[a-z0-9][a-z0-9_-]{0,62}$/.test(idpHint))
        return back('invalid_request', 'idp_hint is not a provider id');
      // RFC 9449 §10: the code will be bound to this DPoP key (its JWK thumbprint).
      const dpopJkt = params.optional('dpop_jkt', 64);
      if (dpopJkt !== undefined && !JWK_THUMBPRINT.test(dpopJkt))
        return back('invalid_request', 'dpop_jkt must be a SHA-256 JWK thumbprint (43 base64url characters)');
      const none = prompt.includes('none');
      // The level asked: the request's (acr_values, an essential acr claim) or the client's minimum, the higher.
      const required = Math.max(oidc.requiredRank, assuranceRank(client.minAcr));
      const hint = params.optional('id_token_hint', 4096);
      const hintSub = hint === undefined ? undefined : ((await this.hints.resolve(hint))?.cupid ?? null);
      if (hintSub === null) return back('invalid_request', 'id_token_hint is not an ID token issued here');

      // prompt=login asks for a fresh login: the browser's session is not used (OIDC Core §3.1.2.1).
      let session = prompt.includes('login')
        ? null
        : await this.sso.liveSession(readSessionCookie({ issuer: this.config.oidc.issuer }, request.headers.cookie));
      // id_token_hint names the customer the client expects: another customer's session is not theirs.
      if (session && hintSub !== undefined && session.cupid !== hintSub) session = null;
      // OIDC Core §3.1.2.1 max_age: a last authentication older than that is not enough.
      if (session && maxAge !== undefined && this.clock.now().getTime() - session.authTime.getTime() > maxAge * 1000)
        session = null;
      const forceConsent = prompt.includes('consent');
      if (session && assuranceRank(session.acr) >= required) {
        const issued = await this.sso.issueCode(
          session,
          client,
          {
            redirectUri,
            codeChallenge: challenge,
            nonce: params.optional('nonce', 256),
            scope: scopes.join(' '),
            prompt,
            dpopJkt,
          },
          requestOrigin(request),
        );
        if ('code' in issued) return redirect({ code: issued.code });
        // OIDC Core §3.1.2.6: prompt=none cannot show the consent page; the client hears why.
        if ('consent' in issued && none)
          return back('consent_required', 'the customer has not allowed this client the scopes asked for');
        // Lacking only consent: a journey under the session with the CONSENT step alone (below). Ended a moment
        // ago: as if there were none.
        if ('ended' in issued) session = null;
      }
      // OIDC Core §3.1.2.6: prompt=none never shows a page; the client hears why it cannot have a code.
      if (none)
        return session
          ? back('interaction_required', 'the session is below the level of assurance asked for')
          : back('login_required', 'the customer must sign in');

      const view = await this.journeys.start(
        {
          clientId,
          redirectUri,
          codeChallenge: challenge,
          codeChallengeMethod: 'S256',
          scope: scopes.join(' '),
          nonce: params.optional('nonce', 256),
          state,
          channel: 'WEB',
          startedBy: 'authorize',
          // A live session below the level asked for is stepped up (only the missing factor is asked).
          ...(session ? { cupid: session.cupid } : {}),
          options: {
            browser: true,
            ...(required > 0 ? { acr: acrOfRank(required) } : {}),
            ...(loginHint ? { loginHint } : {}),
            ...(idpHint && !session ? { idpHint } : {}),
            ...(forceConsent ? { consentPrompt: true } : {}),
            ...(dpopJkt ? { dpopJkt } : {}),
            ...(session ? { stepUp: { sessionId: session.id, acr: session.acr, amr: session.amr } } : {}),
          },
        },
        requestOrigin(request),
      );
      if (view.status === 'COMPLETED' && view.redirectTo) {
        if (view.sessionCookie)
          void reply.header('Set-Cookie', setSessionCookie({ issuer: this.config.oidc.issuer }, view.sessionCookie));
        void reply.status(302).header('Location', view.redirectTo).header('Cache-Control', 'no-store').send();
        return;
      }
      const login = new URL(this.config.journeys.loginUiUrl);
      // OIDC Core §3.1.2.1: the relying party's preferred languages go along for the login UI (tags only).
      const uiLocales = params.optional('ui_locales', 128);
      login.hash = new URLSearchParams({
        journey: view.journeyId,
        transaction_token: view.transactionToken ?? '',
        step: view.nextStep?.type ?? '',
        ...(uiLocales && /^[A-Za-z0-9 -]+$/.test(uiLocales) ? { ui_locales: uiLocales } : {}),
        // In the fragment, like the journey: never sent to a server or a Referer.
        ...(loginHint && !session ? { login_hint: loginHint } : {}),
        // The page goes straight to the hinted provider (the FEDERATED step is first).
        ...(view.nextStep?.type === 'FEDERATED' && idpHint ? { idp_hint: idpHint } : {}),
        // A step-up opens at the second factor: the page offers the factors the journey offers.
        ...(view.nextStep?.options ? { factors: view.nextStep.options.map((option) => option.type).join(',') } : {}),
        // A single sign-on lacking only consent opens at CONSENT: the page shows the application and the scopes.
        ...(view.nextStep?.type === 'CONSENT' ? { client_name: client.name, scopes: scopes.join(' ') } : {}),
        // The page's "Forgot your password?" starts a password_reset journey for the same client, redirect and
        // PKCE challenge (the reset never mints a code; the sign-in journey keeps its own).
        ...(view.nextStep?.type === 'PASSWORD'
          ? { client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge }
          : {}),
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
