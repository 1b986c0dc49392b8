import { Body, Controller, Header, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { parseBearer } from '../common/bearer';
import {
  ApiError,
  BearerTokenRequiredError,
  DependencyUnavailableError,
  NotFoundProblem,
  NotPermittedError,
} from '../common/problem';
import { ApiProblems } from '../common/problem.dto';
import { requestOrigin } from '../common/request-origin';
import {
  FederationTokensService,
  NoFederationLinkError,
  ReconsentRequiredError,
  UpstreamUnavailableError,
} from '../federation/federation-tokens.service';
import { TokensService } from '../tokens/tokens.service';

/** The scope a service's client_credentials token needs to obtain customers' upstream tokens. */
export const FEDERATION_TOKENS_SCOPE = 'federation:tokens';

export class FederationTokenRequestDto {
  @ApiProperty({ example: 'CUPID-ALICE-0001', description: 'The customer' })
  @IsString()
  @Length(1, 64)
  cupid: string;

  @ApiProperty({ example: 'bankid', description: 'The upstream provider (its id)' })
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9_-]{0,62}$/, { message: 'provider is a provider id (a-z, 0-9, - and _)' })
  provider: string;
}

export class FederationTokenDto {
  @ApiProperty({
    example: 'upstream-access-token-opaque-or-jwt',
    description: "The provider's access token for this customer: use it at once, never store or log it",
  })
  accessToken: string;
  @ApiProperty({ example: 'Bearer' }) tokenType: string;
  @ApiProperty({ example: 'openid accounts', description: 'As the provider granted it (empty when it did not say)' })
  scope: string;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    description: 'When it expires (null when the provider did not say)',
  })
  expiresAt: string | null;
}

/** 409: the provider refused the link's grant; the customer must sign in through the provider again. */
export class ReconsentRequiredProblem extends ApiError {
  constructor() {
    super(
      409,
      'RECONSENT_REQUIRED',
      'Re-consent required',
      "The provider refused this customer's grant: they must sign in through the provider again.",
    );
  }
}

/**
 * The internal API for the bank's own services (issue 21, item 3): a customer's upstream access token, fresh
 * (refreshed first when it would expire within FEDERATION_TOKEN_MIN_VALIDITY_SECONDS). The caller presents its
 * own client_credentials access token from our token endpoint, with the `federation:tokens` scope; a customer's
 * token (or one without the scope) is refused. Audited as federation.token_handed_out (client, customer,
 * provider; never the token). The answer is `Cache-Control: no-store` (RFC 6749 §5.1, as for our own tokens).
 */
@ApiTags('federation')
@ApiBearerAuth('service')
@Controller('federation')
export class FederationTokensController {
  constructor(
    private readonly tokens: TokensService,
    private readonly federationTokens: FederationTokensService,
  ) {}

  @Post('tokens')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: "A customer's upstream access token (the bank's services)",
    description:
      'For a client_credentials token with the federation:tokens scope. 404 when the customer has no active link to ' +
      'the provider; 409 RECONSENT_REQUIRED when the provider refused the grant (the customer must sign in through ' +
      'it again); 503 when an expired token could not be refreshed just now.',
  })
  @ApiOkResponse({ type: FederationTokenDto })
  @ApiProblems(
    'VALIDATION_FAILED',
    'UNAUTHENTICATED',
    'FORBIDDEN',
    'NOT_FOUND',
    'RECONSENT_REQUIRED',
    'DEPENDENCY_UNAVAILABLE',
  )
  async handOut(@Body() body: FederationTokenRequestDto, @Req() request: FastifyRequest): Promise<FederationTokenDto> {
    const bearer = parseBearer(request.headers.authorization);
    if (!bearer) throw new BearerTokenRequiredError('ciam', undefined, request.headers.authorization !== undefined);
    const token = await this.tokens.validateAccessToken(bearer);
    if (!token) throw new BearerTokenRequiredError('ciam', 'The access token is invalid, expired or revoked.');
    // RFC 9449 §7.2: a DPoP-bound token is only good with a proof of its key; this API takes bearer tokens only
    // (a stolen bound token must not be spendable here as a plain bearer token).
    if (token.dpopJkt)
      throw new BearerTokenRequiredError('ciam', 'The access token is DPoP-bound; this API takes bearer tokens only.');
    // A service's own token (client_credentials) speaks for no customer; a customer's token never opens this.
    if (token.cupid !== null || !token.scope.includes(FEDERATION_TOKENS_SCOPE))
      throw new NotPermittedError(
        `This token may not obtain upstream tokens (it needs the ${FEDERATION_TOKENS_SCOPE} scope).`,
      );
    const origin = requestOrigin(request);
    try {
      const handed = await this.federationTokens.handOut(token.clientId, body.cupid, body.provider, {
        ip: origin.ip,
        userAgent: origin.userAgent,
      });
      return {
        accessToken: handed.accessToken,
        tokenType: handed.tokenType,
        scope: handed.scope,
        expiresAt: handed.expiresAt?.toISOString() ?? null,
      };
    } catch (error) {
      if (error instanceof NoFederationLinkError)
        throw new NotFoundProblem('The customer has no active link to this provider.');
      if (error instanceof ReconsentRequiredError) throw new ReconsentRequiredProblem();
      if (error instanceof UpstreamUnavailableError) throw new DependencyUnavailableError('identity provider');
      throw error;
    }
  }
}
