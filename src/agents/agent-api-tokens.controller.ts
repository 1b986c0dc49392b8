import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { NotFoundProblem } from '../common/problem';
import { ApiProblems } from '../common/problem.dto';
import { ApiTokenDto, ApiTokenListDto, toApiTokenDto } from '../me/dto/api-token.dto';
import { ReasonDto } from '../me/dto/session.dto';
import { ApiTokensService } from '../tokens/api-tokens.service';
import { agentAction } from './agent-action';
import { AgentAuthGuard } from './agent-jwt.strategy';
import type { AgentRequest } from './agent-jwt.strategy';
import { AgentSupportService } from './agent-support.service';
import { InvalidCupidPipe } from './cupid.pipe';
import { AgentReasonQueryDto } from './dto/agent-mfa.dto';

/** A customer's API tokens for support agents: listed (revoked ones too), revoked or blocked, with a reason. */
@ApiTags('agents')
@ApiBearerAuth('agent')
@UseGuards(AgentAuthGuard)
@ApiParam({ name: 'cupid', description: 'The customer id', example: 'CUPID-ALICE-0001' })
@ApiProblems('VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN', 'DEPENDENCY_UNAVAILABLE')
@Controller('agent/customers/:cupid/api-tokens')
export class AgentApiTokensController {
  constructor(
    private readonly apiTokens: ApiTokensService,
    private readonly support: AgentSupportService,
  ) {}

  @Get()
  @ApiOperation({ summary: "A customer's API tokens, revoked ones too (audited as agent.viewed)" })
  @ApiOkResponse({ type: ApiTokenListDto })
  async list(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Query() query: AgentReasonQueryDto,
    @Req() request: AgentRequest,
  ): Promise<ApiTokenListDto> {
    const rows = await this.apiTokens.list(cupid, true);
    await this.support.recordView(cupid, 'api_tokens', agentAction(request, query.reason));
    return { apiTokens: rows.map(toApiTokenDto) };
  }

  @Post(':apiTokenId/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke an API token for good (api_token.revoked)' })
  @ApiOkResponse({ type: ApiTokenDto })
  @ApiProblems('NOT_FOUND')
  revoke(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Param('apiTokenId', new ParseUUIDPipe()) id: string,
    @Body() body: ReasonDto,
    @Req() request: AgentRequest,
  ): Promise<ApiTokenDto> {
    return this.change('revoke', cupid, id, body, request);
  }

  @Post(':apiTokenId/block')
  @HttpCode(200)
  @ApiOperation({ summary: 'Block an API token: it stops working and stays listed as blocked (api_token.blocked)' })
  @ApiOkResponse({ type: ApiTokenDto })
  @ApiProblems('NOT_FOUND')
  block(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Param('apiTokenId', new ParseUUIDPipe()) id: string,
    @Body() body: ReasonDto,
    @Req() request: AgentRequest,
  ): Promise<ApiTokenDto> {
    return this.change('block', cupid, id, body, request);
  }

  private async change(
    change: 'revoke' | 'block',
    cupid: string,
    id: string,
    body: ReasonDto,
    request: AgentRequest,
  ): Promise<ApiTokenDto> {
    const { agent, reason, origin } = agentAction(request, body.reason);
    const row = await this.apiTokens.end(change, cupid, id, agent, reason, origin);
    if (!row) throw new NotFoundProblem('This customer has no live API token with this id.');
    return toApiTokenDto(row);
  }
}
