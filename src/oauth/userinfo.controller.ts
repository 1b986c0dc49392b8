import { Controller, Get, Headers, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { endpointUrl, OAUTH_PATHS } from './oauth-endpoints';
import { dpopChallenge, DpopProof, DpopVerifier, UseDpopNonceError } from './proofs/dpop';
import { TokensService } from '../tokens/tokens.service';
import { bearerToken, parseDpopAuthorization } from './bearer';
import { OAuthErrorDto, UserinfoResponseDto } from './dto/oauth.dto';
import { DirectoryUnavailableError, UserDirectory } from '../directory/user-directory.port';
import { InvalidTokenError, OAuthError, ServerUnavailableError } from './oauth-errors';
import { noStore } from './token.controller';
import { ClientsService } from '../clients/clients.service';
import type { OAuthClient } from '../clients/oauth-client.entity';

@ApiTags('oauth2')
@ApiBearerAuth('customer')
@Controller('oauth2')
export class UserinfoController {
  constructor(
    private readonly tokens: TokensService,
    private readonly directory: UserDirectory,
    private readonly dpop: DpopVerifier,
    private readonly clients: ClientsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('userinfo')
  @ApiOperation({
    summary: 'UserInfo (OIDC Core §5.3)',
    description:
      'Claims about the customer the access token was issued for: sub, and by scope profile (name, preferred_username), ' +
      'email (email) and phone (phone_number), read from the directory. The token is checked against its row: a revoked token or ' +
      'ended session is refused at once. A DPoP-bound token (RFC 9449) is accepted only as `Authorization: DPoP <token>` ' +
      'with a DPoP proof of its key (ath = its hash); as a Bearer token it is refused. The proof carries the server nonce when ' +
      "DPOP_NONCE_REQUIRED or the token's client is registered with dpop_bound_access_tokens: otherwise 401 use_dpop_nonce " +
      'with the nonce in DPoP-Nonce.',
  })
  @ApiOkResponse({ type: UserinfoResponseDto })
  @ApiUnauthorizedResponse({ type: OAuthErrorDto, description: 'invalid_token (WWW-Authenticate: Bearer)' })
  get(
    @Req() request: FastifyRequest,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserinfoResponseDto> {
    return this.userinfo(request, authorization, reply);
  }

  @Post('userinfo')
  @HttpCode(200)
  @ApiOperation({ summary: 'UserInfo (OIDC Core §5.3), POST form' })
  @ApiOkResponse({ type: UserinfoResponseDto })
  @ApiUnauthorizedResponse({ type: OAuthErrorDto })
  post(
    @Req() request: FastifyRequest,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserinfoResponseDto> {
    return this.userinfo(request, authorization, reply);
  }

  private async userinfo(
    request: FastifyRequest,
    authorization: string | undefined,
    reply: FastifyReply,
  ): Promise<UserinfoResponseDto> {
    noStore(reply);
    const dpopToken = parseDpopAuthorization(authorization);
    const token = dpopToken ?? bearerToken(authorization);
    // RFC 9449 §7.1: the proof first (no database work for a request that cannot be good), then the token.
    const proof = dpopToken
      ? await this.dpop.verify(request.headers.dpop, {
          method: request.method,
          url: endpointUrl(this.config, OAUTH_PATHS.userinfo),
          accessToken: dpopToken,
          requireNonce: this.config.proofs.dpopNonceRequired,
          context: 'resource',
        })
      : null;
    const context = await this.tokens.validateAccessToken(token);
    if (!context) throw new InvalidTokenError();
    // RFC 9449 §7.2: a bound token is only good with a proof of its key, never as a bearer token.
    if (context.dpopJkt !== (proof?.jkt ?? null)) {
      const description = context.dpopJkt
        ? 'the access token is DPoP-bound: present it as DPoP with a proof of its key'
        : 'the access token is not DPoP-bound: present it as Bearer';
      throw new OAuthError('invalid_token', description, 401, {
        'WWW-Authenticate': context.dpopJkt
          ? dpopChallenge('invalid_token', description)
          : `Bearer realm="ciam", error="invalid_token", error_description="${description}"`,
      });
    }
    // The token's client, from the client cache (no statement for a cached client): its nonce rule and its claims.
    const client = await this.clients.findActive(context.clientId);
    if (proof) this.checkNonce(proof, client, reply);
    if (!context.cupid || !context.scope.includes('openid')) {
      throw new OAuthError('insufficient_scope', 'the access token was not issued for an openid login', 403, {
        'WWW-Authenticate': 'Bearer realm="ciam", error="insufficient_scope", scope="openid"',
      });
    }
    const claims = await this.claims(context.cupid, context.scope);
    return { sub: context.subject ?? context.cupid, ...allowedFor(client, claims) };
  }

  /**
   * RFC 9449 §9: a server nonce in the proof, when DPOP_NONCE_REQUIRED (checked with the proof already) or when the
   * token's client is registered with dpop_bound_access_tokens (as at the token endpoint: the client learns one
   * rule); nothing at all for a bearer token. The answer carries the nonce for the next proof (§8.2).
   */
  private checkNonce(proof: DpopProof, client: OAuthClient | null, reply: FastifyReply): void {
    if (!this.config.proofs.dpopNonceRequired && !client?.dpopBoundAccessTokens) return;
    if (!proof.nonced) throw new UseDpopNonceError(this.dpop.nonce(), 'resource');
    void reply.header('DPoP-Nonce', this.dpop.nonce());
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

/**
 * The client's policy (oauth_clients.allowed_claims, set by its administrator): of the claims its scopes release,
 * only those it may receive; all of them when it has no list. A client deactivated meanwhile (null) gets nothing.
 */
function allowedFor(client: OAuthClient | null, claims: Record<string, unknown>): Record<string, unknown> {
  const allowed = client ? client.allowedClaims : [];
  if (allowed === null) return claims;
  return Object.fromEntries(Object.entries(claims).filter(([name]) => allowed.includes(name)));
}
