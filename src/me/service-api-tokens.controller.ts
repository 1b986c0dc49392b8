import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req } from '@nestjs/common';
import {
  ApiBasicAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import type { OAuthClient } from '../clients/oauth-client.entity';
import { NotFoundProblem, NotPermittedError, ValidationFailedError } from '../common/problem';
import { ApiProblems } from '../common/problem.dto';
import { requestOrigin } from '../common/request-origin';
import { orDirectoryOutage, UserDirectory } from '../directory/user-directory.port';
import { ApiTokenListDto, CreateApiTokenDto, CreatedApiTokenDto, toApiTokenDto } from './dto/api-token.dto';
import { ApiTokensService } from '../tokens/api-tokens.service';
import { ClientAuthenticator } from '../oauth/client-authentication';
import { OAuthErrorDto } from '../oauth/dto/oauth.dto';
import { OAuthParams } from '../oauth/oauth-params';

/** The scope a service client needs to hold API tokens on behalf of customers. */
export const API_TOKENS_MANAGE_SCOPE = 'api_tokens:manage';

export class ServiceCreateApiTokenDto extends CreateApiTokenDto {
  @ApiProperty({
    example: 'CUPID-ALICE-0001',
    description: 'The customer the token speaks for (the directory must know them)',
  })
  @IsString()
  @Length(1, 64)
  cupid: string;
}

export class ServiceApiTokenQueryDto {
  @ApiPropertyOptional({ example: 'CUPID-ALICE-0001', description: "Only this customer's tokens" })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  cupid?: string;
}

/**
 * API tokens a service holds on behalf of customers (issue 17, item 8): a confidential client authenticates
 * with its secret (HTTP Basic, as at the token endpoint; failures count toward the client's lockout) and must be
 * registered with the `client_credentials` grant and the `api_tokens:manage` scope. A token's scopes are the
 * API's own, as for a customer's token (never `api_tokens:manage`). A service sees and revokes only the tokens it owns; agents see them in the customer's
 * listing (ownerType SERVICE) and may revoke or block them there. Client authentication failures answer as
 * OAuth does (RFC 6749 `invalid_client`); everything else is problem+json.
 */
@ApiTags('api-tokens')
@ApiBasicAuth('client')
@ApiUnauthorizedResponse({ type: OAuthErrorDto, description: 'invalid_client' })
@ApiProblems('FORBIDDEN')
@Controller('api-tokens')
export class ServiceApiTokensController {
  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly apiTokens: ApiTokensService,
    private readonly directory: UserDirectory,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Create an API token for a customer (service)',
    description:
      'The answer carries the token (`ciam_at_…`) this once; it is stored only as its SHA-256. Audited as api_token.created with the client as the actor; the customer is notified.',
  })
  @ApiCreatedResponse({ type: CreatedApiTokenDto })
  @ApiProblems('VALIDATION_FAILED', 'NOT_FOUND', 'DEPENDENCY_UNAVAILABLE')
  async create(@Body() body: ServiceCreateApiTokenDto, @Req() request: FastifyRequest): Promise<CreatedApiTokenDto> {
    const client = await this.service(request);
    // A token never manages tokens itself: that stays with the service's own credentials.
    if (body.scopes.includes(API_TOKENS_MANAGE_SCOPE))
      throw new ValidationFailedError([
        { field: 'scopes', messages: [`${API_TOKENS_MANAGE_SCOPE} cannot be given to a token`] },
      ]);
    // Asked outside any transaction: the customer must exist for a token to speak for them.
    const customer = await orDirectoryOutage(this.directory.findByCupid(body.cupid));
    if (!customer) throw new NotFoundProblem('The directory has no customer with this CUPID.');
    const { row, token } = await this.apiTokens.createForService(
      client.clientId,
      { cupid: body.cupid, name: body.name, scopes: body.scopes, expiresInDays: body.expiresInDays ?? 90 },
      requestOrigin(request),
    );
    return { ...toApiTokenDto(row), token };
  }

  @Get()
  @ApiOperation({ summary: "The service's live API tokens", description: 'Newest first; never their values.' })
  @ApiOkResponse({ type: ApiTokenListDto })
  @ApiProblems('VALIDATION_FAILED')
  async list(@Query() query: ServiceApiTokenQueryDto, @Req() request: FastifyRequest): Promise<ApiTokenListDto> {
    const client = await this.service(request);
    return {
      apiTokens: (await this.apiTokens.listForService(client.clientId, query.cupid ?? null)).map(toApiTokenDto),
    };
  }

  @Delete(':apiTokenId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API token the service owns', description: 'It stops working at once.' })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiProblems('NOT_FOUND')
  async revoke(@Param('apiTokenId', new ParseUUIDPipe()) id: string, @Req() request: FastifyRequest): Promise<void> {
    const client = await this.service(request);
    const revoked = await this.apiTokens.revokeForService(client.clientId, id, requestOrigin(request));
    if (!revoked) throw new NotFoundProblem('This service owns no live API token with this id.');
  }

  /** The calling service: authenticated by its secret, allowed client_credentials and the manage scope. */
  private async service(request: FastifyRequest): Promise<OAuthClient> {
    const { client, method } = await this.clients.authenticate(
      request.headers.authorization,
      OAuthParams.from({}),
      'api-tokens',
      requestOrigin(request),
    );
    if (
      method === 'none' ||
      !client.allowsGrant('client_credentials') ||
      !client.scopes.includes(API_TOKENS_MANAGE_SCOPE)
    )
      throw new NotPermittedError(
        `This client may not manage API tokens (it needs the ${API_TOKENS_MANAGE_SCOPE} scope).`,
      );
    return client;
  }
}
