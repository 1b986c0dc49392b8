import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { ApiProperty } from '@nestjs/swagger';
import { ApiError, NotFoundProblem, ValidationFailedError } from '../common/problem';
import { ApiProblems } from '../common/problem.dto';
import { orDirectoryOutage, UserDirectory } from '../directory/user-directory.port';
import {
  CreateFederationLinkDto,
  FederationLinkDto,
  FederationLinkListDto,
  toFederationLinkDto,
} from '../federation/dto/federation.dto';
import {
  FederationLinksService,
  FederationSubjectLinkedError,
  UnknownFederationProviderError,
} from '../federation/federation-links.service';
import { agentAction } from './agent-action';
import { AgentAdminGuard } from './agent-admin.guard';
import { AgentAuthGuard } from './agent-jwt.strategy';
import type { AgentRequest } from './agent-jwt.strategy';
import { AgentSupportService } from './agent-support.service';
import { InvalidCupidPipe } from './cupid.pipe';

export class FederationReasonQueryDto {
  @ApiProperty({
    example: 'Customer asked to remove their BankID link (ticket INC-20931)',
    minLength: 5,
    maxLength: 500,
  })
  @IsString()
  @Length(5, 500)
  reason: string;
}

/** The problem for a subject linked already (to this customer or another). */
export function federationConflict(detail: string): ApiError {
  return new ApiError(409, 'FEDERATION_CONFLICT', 'Federation conflict', detail);
}

/**
 * A customer's links to upstream identity providers (issue 21), for support agents: list (audited as a view),
 * link (after checking who the customer is out of band: a link lets the provider's sign-in stand for the CUPID)
 * and unlink; each with the agent's reason. Linking also needs AGENT_ADMIN_ROLE: it hands the customer's account to
 * whoever controls the upstream subject, a takeover if a support agent is deceived or compromised; listing and
 * unlinking (which only take access away) stay with the support role. A link is made only to a customer the
 * directory knows: one to an unknown CUPID would stand for whoever the directory gives that CUPID later.
 */
@ApiTags('agents')
@ApiBearerAuth('agent')
@UseGuards(AgentAuthGuard)
@ApiParam({ name: 'cupid', description: 'The customer id', example: 'CUPID-ALICE-0001' })
@ApiProblems('VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN')
@Controller('agent/customers/:cupid/federation-links')
export class AgentFederationController {
  constructor(
    private readonly links: FederationLinksService,
    private readonly support: AgentSupportService,
    private readonly directory: UserDirectory,
  ) {}

  @Get()
  @ApiOperation({ summary: "A customer's active links to upstream identity providers (audited as agent.viewed)" })
  @ApiOkResponse({ type: FederationLinkListDto })
  async list(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Query() query: FederationReasonQueryDto,
    @Req() request: AgentRequest,
  ): Promise<FederationLinkListDto> {
    const links = await this.links.list(cupid);
    await this.support.recordView(cupid, 'federation_links', agentAction(request, query.reason));
    return { links: links.map(toFederationLinkDto) };
  }

  @Post()
  @HttpCode(201)
  @UseGuards(AgentAdminGuard)
  @ApiOperation({
    summary: "Link a provider's subject to the customer",
    description:
      'For a customer whose identity the agent checked: later sign-ins through the provider sign this customer in. ' +
      'Needs the admin role (AGENT_ADMIN_ROLE) besides the support role: 403 otherwise. ' +
      'The customer must exist in the directory: 404 otherwise, 503 while the directory cannot answer (nothing is ' +
      'linked either way). Audited as federation.linked (by: agent) with the reason.',
  })
  @ApiCreatedResponse({ type: FederationLinkDto })
  @ApiProblems('FEDERATION_CONFLICT', 'NOT_FOUND', 'DEPENDENCY_UNAVAILABLE')
  async link(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Body() body: CreateFederationLinkDto,
    @Req() request: AgentRequest,
  ): Promise<FederationLinkDto> {
    // Asked before any transaction or pooled connection is held (a network call); fail closed when it is down.
    const customer = await orDirectoryOutage(this.directory.findByCupid(cupid));
    if (!customer) throw new NotFoundProblem('The directory has no customer with this CUPID.');
    try {
      const link = await this.links.linkByAgent(
        cupid,
        { providerId: body.providerId, subject: body.subject, displayName: body.displayName ?? null },
        { type: 'AGENT', id: request.user.subject },
        body.reason,
      );
      return toFederationLinkDto(link);
    } catch (error) {
      if (error instanceof UnknownFederationProviderError)
        throw new ValidationFailedError([{ field: 'providerId', messages: [error.message] }]);
      if (error instanceof FederationSubjectLinkedError) throw federationConflict(error.message);
      throw error;
    }
  }

  @Delete(':linkId')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Remove a link',
    description: 'Audited as federation.unlinked (by: agent) with the reason.',
  })
  @ApiNoContentResponse({ description: 'Unlinked' })
  @ApiParam({ name: 'linkId', format: 'uuid', example: '6f1c2a8e-3b9d-4e57-a1c0-2d4b8e9f7a61' })
  @ApiProblems('NOT_FOUND')
  async unlink(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Param('linkId', new ParseUUIDPipe()) linkId: string,
    @Query() query: FederationReasonQueryDto,
    @Req() request: AgentRequest,
  ): Promise<void> {
    if (!(await this.links.unlink(cupid, linkId, 'agent', { type: 'AGENT', id: request.user.subject }, query.reason)))
      throw new NotFoundProblem('The customer has no active link with this id.');
  }
}
