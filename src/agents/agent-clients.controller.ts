import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Req, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import {
  ClientAdminActor,
  ClientIdTakenError,
  ClientNotFoundError,
  ClientRegistrationError,
  ClientsService,
} from '../clients/clients.service';
import { Clock } from '../common/clock';
import { ApiError, NotFoundProblem, ValidationFailedError } from '../common/problem';
import { ApiProblems } from '../common/problem.dto';
import { ClientDeactivationService } from '../tokens/client-deactivation.service';
import { AgentAuthGuard } from './agent-jwt.strategy';
import type { AgentRequest } from './agent-jwt.strategy';
import { ClientAdminGuard } from './client-admin.guard';
import {
  ClientCreateDto,
  ClientCreatedDto,
  ClientDto,
  ClientListDto,
  ClientListQueryDto,
  ClientRotationQueryDto,
  ClientSecretRotatedDto,
  ClientUpdateDto,
  ClientUpdatedDto,
  toClientDto,
} from './dto/client-admin.dto';

/**
 * OAuth clients as a managed resource (issue 16 item 1), for agents with CLIENT_ADMIN_ROLE on top of the agent
 * role. Every change is audited with the agent's id and the names of the fields it changed, never a secret.
 * A secret is shown once, when the client is created or its secret rotated.
 */
@ApiTags('admin')
@ApiBearerAuth('agent')
@UseGuards(AgentAuthGuard, ClientAdminGuard)
@ApiProblems('VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN', 'DEPENDENCY_UNAVAILABLE')
@Controller('agent/admin/clients')
export class AgentClientsController {
  constructor(
    private readonly clients: ClientsService,
    private readonly deactivation: ClientDeactivationService,
    private readonly clock: Clock,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The registered clients, by client id, a page at a time' })
  @ApiOkResponse({ type: ClientListDto })
  async list(@Query() query: ClientListQueryDto): Promise<ClientListDto> {
    const active = query.active === undefined ? undefined : query.active === 'true';
    const page = await this.clients.page(query.limit ?? 50, query.cursor, active);
    const now = this.clock.now();
    return { clients: page.clients.map((client) => toClientDto(client, now)), nextCursor: page.next };
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Register a client',
    description:
      "A confidential client's secret is in the answer, this once; a client that authenticates with private_key_jwt gets none (its keys authenticate it). Audited as client.registered.",
  })
  @ApiCreatedResponse({ type: ClientCreatedDto })
  @ApiProblems('CLIENT_ID_TAKEN')
  async create(@Body() body: ClientCreateDto, @Req() request: AgentRequest): Promise<ClientCreatedDto> {
    const registration = withoutNulls(body);
    const { client, secret } = await mapErrors(() =>
      this.clients.register(
        { ...registration, clientId: body.clientId, name: body.name, type: body.type, grantTypes: body.grantTypes },
        actorOf(request),
      ),
    );
    return { client: toClientDto(client, this.clock.now()), clientSecret: secret ?? null };
  }

  @Get(':clientId')
  @ApiOperation({ summary: 'One client, active or not' })
  @ApiOkResponse({ type: ClientDto })
  @ApiProblems('NOT_FOUND')
  async read(@Param('clientId') clientId: string): Promise<ClientDto> {
    const client = await this.clients.find(clientId);
    if (!client) throw new NotFoundProblem('No client has this id.');
    return toClientDto(client, this.clock.now());
  }

  @Patch(':clientId')
  @ApiOperation({
    summary: "Change a client's settings",
    description:
      'Only the fields sent change (null removes an optional one); every instance applies the change at once. Switching a confidential client to private_key_jwt removes its secret (and a previous one still in its overlap); switching it from private_key_jwt to a secret method issues a new secret, in this answer only (clientSecret). Audited as client.updated with the names of the fields that changed.',
  })
  @ApiOkResponse({ type: ClientUpdatedDto })
  @ApiProblems('NOT_FOUND')
  async update(
    @Param('clientId') clientId: string,
    @Body() body: ClientUpdateDto,
    @Req() request: AgentRequest,
  ): Promise<ClientUpdatedDto> {
    const { client, secret } = await mapErrors(() => this.clients.update(clientId, body, actorOf(request)));
    return { ...toClientDto(client, this.clock.now()), ...(secret ? { clientSecret: secret } : {}) };
  }

  @Post(':clientId/secret')
  @HttpCode(200)
  @ApiOperation({
    summary: "Rotate a confidential client's secret",
    description:
      'The new secret is in the answer, this once. The previous one keeps working for the overlap (CLIENT_SECRET_ROTATION_OVERLAP_SECONDS, or ?overlap=; 0 revokes it at once). A public or private_key_jwt client has no secret: 400. Audited as client.secret_rotated.',
  })
  @ApiOkResponse({ type: ClientSecretRotatedDto })
  @ApiProblems('NOT_FOUND')
  async rotateSecret(
    @Param('clientId') clientId: string,
    @Query() query: ClientRotationQueryDto,
    @Req() request: AgentRequest,
  ): Promise<ClientSecretRotatedDto> {
    const { client, secret } = await mapErrors(() =>
      this.clients.rotateSecret(clientId, query.overlap, actorOf(request)),
    );
    return { client: toClientDto(client, this.clock.now()), clientSecret: secret };
  }

  @Post(':clientId/deactivate')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Deactivate a client',
    description:
      "At once: it can no longer authenticate, its unredeemed authorization codes are deleted, its tokens are revoked, it leaves the single sign-on sessions other clients share (the customer's session goes on) and the sessions only it is in end. Audited as client.deactivated, then session.revoked and token.revoked.",
  })
  @ApiNoContentResponse({ description: 'Deactivated (or already inactive: the cascade is finished)' })
  @ApiProblems('NOT_FOUND')
  async deactivate(@Param('clientId') clientId: string, @Req() request: AgentRequest): Promise<void> {
    if (!(await this.clients.find(clientId))) throw new NotFoundProblem('No client has this id.');
    await this.deactivation.deactivate(clientId, actorOf(request));
  }

  @Post(':clientId/reactivate')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Reactivate a client',
    description:
      'It is served again; what its deactivation revoked stays revoked, and codes minted for it while it was inactive are deleted. ' +
      'Audited as client.reactivated with codesDeleted (nothing when it was active).',
  })
  @ApiNoContentResponse({ description: 'Active' })
  @ApiProblems('NOT_FOUND')
  async reactivate(@Param('clientId') clientId: string, @Req() request: AgentRequest): Promise<void> {
    if (!(await this.clients.find(clientId))) throw new NotFoundProblem('No client has this id.');
    await this.deactivation.reactivate(clientId, actorOf(request));
  }
}

function actorOf(request: AgentRequest): ClientAdminActor {
  return { type: 'AGENT', id: request.user.subject };
}

/** A registration takes no nulls (absent is the default); PATCH's null-removes has no meaning here. */
function withoutNulls<T extends object>(body: T): { [K in keyof T]: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== null)) as {
    [K in keyof T]: Exclude<T[K], null>;
  };
}

/** The service's refusals as problems: bad settings 400, a taken id 409, an unknown client 404. */
async function mapErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ClientIdTakenError)
      throw new ApiError(409, 'CLIENT_ID_TAKEN', 'Client id taken', 'A client already has this client id.');
    if (error instanceof ClientRegistrationError)
      throw new ValidationFailedError([{ field: 'body', messages: error.message.split('; ') }]);
    if (error instanceof ClientNotFoundError) throw new NotFoundProblem('No client has this id.');
    throw error;
  }
}
