import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ClientsService } from '../clients/clients.service';
import { NotFoundProblem } from '../common/problem';
import { ApiProblems } from '../common/problem.dto';
import { ConsentRecordsRepository } from '../consents/consent-records.repository';
import { consentListOf } from '../me/consents.controller';
import { consentPath, ConsentListDto, ConsentRevokedDto } from '../me/dto/consent.dto';
import { ReasonDto } from '../me/dto/session.dto';
import { ConsentRevocationService } from '../tokens/consent-revocation.service';
import { agentAction } from './agent-action';
import { AgentAuthGuard } from './agent-jwt.strategy';
import type { AgentRequest } from './agent-jwt.strategy';
import { AgentSupportService } from './agent-support.service';
import { InvalidCupidPipe } from './cupid.pipe';
import { AgentReasonQueryDto } from './dto/agent-mfa.dto';

/**
 * A customer's consents to third-party applications, for support agents (issue 16 item 2): reading them is an
 * audited view (agent.viewed, what: consents), withdrawing one states a reason and takes effect at once, as the
 * customer's own withdrawal does (consent.revoked with the agent as actor).
 */
@ApiTags('agents')
@ApiBearerAuth('agent')
@UseGuards(AgentAuthGuard)
@ApiParam({ name: 'cupid', description: 'The customer id', example: 'CUPID-ALICE-0001' })
@ApiProblems('VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN', 'DEPENDENCY_UNAVAILABLE')
@Controller('agent/customers/:cupid/consents')
export class AgentConsentsController {
  constructor(
    private readonly consents: ConsentRecordsRepository,
    private readonly revocation: ConsentRevocationService,
    private readonly clients: ClientsService,
    private readonly support: AgentSupportService,
  ) {}

  @Get()
  @ApiOperation({ summary: "A customer's consents, per application, each scope with its times" })
  @ApiOkResponse({ type: ConsentListDto })
  async list(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Query() query: AgentReasonQueryDto,
    @Req() request: AgentRequest,
  ): Promise<ConsentListDto> {
    const list = await consentListOf(this.consents, this.clients, cupid);
    await this.support.recordView(cupid, 'consents', agentAction(request, query.reason));
    return list;
  }

  @Post(':clientId/revoke')
  @HttpCode(200)
  @ApiOperation({
    summary: "Withdraw a customer's consent to an application",
    description:
      "Every scope; the application's tokens for the customer stop working at once. Audited with the reason.",
  })
  @ApiParam({ name: 'clientId', example: 'budget-app' })
  @ApiOkResponse({ type: ConsentRevokedDto })
  @ApiProblems('NOT_FOUND')
  revokeClient(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Param('clientId') clientId: string,
    @Body() body: ReasonDto,
    @Req() request: AgentRequest,
  ): Promise<ConsentRevokedDto> {
    return this.revoke(cupid, clientId, null, body.reason, request);
  }

  @Post(':clientId/scopes/:scope/revoke')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Withdraw one scope of a customer from an application',
    description: "The application's tokens that carry the scope stop working at once. Audited with the reason.",
  })
  @ApiParam({ name: 'clientId', example: 'budget-app' })
  @ApiParam({ name: 'scope', example: 'profile' })
  @ApiOkResponse({ type: ConsentRevokedDto })
  @ApiProblems('NOT_FOUND')
  revokeScope(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Param('clientId') clientId: string,
    @Param('scope') scope: string,
    @Body() body: ReasonDto,
    @Req() request: AgentRequest,
  ): Promise<ConsentRevokedDto> {
    return this.revoke(cupid, clientId, scope, body.reason, request);
  }

  private async revoke(
    cupid: string,
    clientId: string,
    scope: string | null,
    reason: string,
    request: AgentRequest,
  ): Promise<ConsentRevokedDto> {
    consentPath(clientId, scope ?? undefined);
    const { agent, origin } = agentAction(request, reason);
    const outcome = await this.revocation.revoke({
      cupid,
      clientId,
      scopes: scope === null ? null : [scope],
      by: agent,
      reason,
      origin,
    });
    if (!outcome) throw new NotFoundProblem('The customer has no live consent to this application (and scope).');
    return { scopes: outcome.scopes, tokensRevoked: outcome.tokensRevoked };
  }
}
