import { Body, Controller, Get, HttpCode, Inject, Param, Patch, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { NotFoundProblem, ValidationFailedError } from '../common/problem';
import { ApiProblems } from '../common/problem.dto';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import {
  CreateFederationProviderDto,
  FederationProviderDto,
  FederationProviderListDto,
  toFederationProviderDto,
  UpdateFederationProviderDto,
} from '../federation/dto/federation.dto';
import {
  FederationProviderExistsError,
  FederationProvidersService,
  InvalidFederationProviderError,
} from '../federation/federation-providers.service';
import { federationConflict } from './agent-federation.controller';
import { AgentAuthGuard, AgentRoleMissingError } from './agent-jwt.strategy';
import type { AgentRequest } from './agent-jwt.strategy';

/**
 * Upstream identity providers (issue 21, item 1), for agents with the admin role (AGENT_ADMIN_ROLE): OpenID
 * providers by issuer, plain OAuth 2.0 ones by endpoints. The client secret is write-only: sealed at rest, never
 * answered, never audited (the audit names the fields changed). Each change is audited with the agent as actor.
 */
@ApiTags('admin')
@ApiBearerAuth('agent')
@UseGuards(AgentAuthGuard)
@ApiProblems('VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN')
@Controller('agent/admin/federation/providers')
export class AgentFederationProvidersController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly providers: FederationProvidersService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The upstream identity providers, active or not' })
  @ApiOkResponse({ type: FederationProviderListDto })
  async list(@Req() request: AgentRequest): Promise<FederationProviderListDto> {
    this.requireAdmin(request);
    return { providers: (await this.providers.listViews()).map(toFederationProviderDto) };
  }

  @Get(':providerId')
  @ApiOperation({ summary: 'One upstream identity provider' })
  @ApiParam({ name: 'providerId', example: 'bankid' })
  @ApiOkResponse({ type: FederationProviderDto })
  @ApiProblems('NOT_FOUND')
  async get(@Param('providerId') id: string, @Req() request: AgentRequest): Promise<FederationProviderDto> {
    this.requireAdmin(request);
    const view = await this.providers.view(id);
    if (!view) throw new NotFoundProblem('No provider has this id.');
    return toFederationProviderDto(view);
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Add an upstream identity provider',
    description: 'Audited as federation.provider_created (never the secret).',
  })
  @ApiCreatedResponse({ type: FederationProviderDto })
  @ApiProblems('FEDERATION_CONFLICT')
  async create(
    @Body() body: CreateFederationProviderDto,
    @Req() request: AgentRequest,
  ): Promise<FederationProviderDto> {
    this.requireAdmin(request);
    const { id, ...input } = body;
    try {
      return toFederationProviderDto(
        await this.providers.create(id, input, { type: 'AGENT', id: request.user.subject }),
      );
    } catch (error) {
      throw translate(error);
    }
  }

  @Patch(':providerId')
  @ApiOperation({
    summary: 'Change an upstream identity provider',
    description:
      'Only the fields given change; `clientSecret: null` removes the secret. Audited as federation.provider_updated ' +
      'with the names of the fields changed.',
  })
  @ApiParam({ name: 'providerId', example: 'bankid' })
  @ApiOkResponse({ type: FederationProviderDto })
  @ApiProblems('NOT_FOUND')
  async update(
    @Param('providerId') id: string,
    @Body() body: UpdateFederationProviderDto,
    @Req() request: AgentRequest,
  ): Promise<FederationProviderDto> {
    this.requireAdmin(request);
    let view;
    try {
      view = await this.providers.update(id, body, { type: 'AGENT', id: request.user.subject });
    } catch (error) {
      throw translate(error);
    }
    if (!view) throw new NotFoundProblem('No provider has this id.');
    return toFederationProviderDto(view);
  }

  @Post(':providerId/deactivate')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Deactivate an upstream identity provider',
    description: 'No new sign-in through it; its links stay. Audited as federation.provider_deactivated.',
  })
  @ApiParam({ name: 'providerId', example: 'bankid' })
  @ApiNoContentResponse({ description: 'Deactivated' })
  @ApiProblems('NOT_FOUND')
  async deactivate(@Param('providerId') id: string, @Req() request: AgentRequest): Promise<void> {
    this.requireAdmin(request);
    if (!(await this.providers.deactivate(id, { type: 'AGENT', id: request.user.subject })))
      throw new NotFoundProblem('No active provider has this id.');
  }

  private requireAdmin(request: AgentRequest): void {
    if (!request.user.roles.includes(this.config.agents.adminRole))
      throw new AgentRoleMissingError(this.config.agents.adminRole);
  }
}

function translate(error: unknown): unknown {
  if (error instanceof InvalidFederationProviderError)
    return new ValidationFailedError([{ field: 'body', messages: error.problems }]);
  if (error instanceof FederationProviderExistsError) return federationConflict(error.message);
  return error;
}
