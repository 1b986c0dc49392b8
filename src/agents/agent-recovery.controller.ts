import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/problem.dto';
import { FactorListDto, toFactorDto } from '../me/dto/factor.dto';
import { ReasonDto } from '../me/dto/session.dto';
import { agentAction } from './agent-action';
import { AgentAuthGuard } from './agent-jwt.strategy';
import type { AgentRequest } from './agent-jwt.strategy';
import { AgentRecoveryService } from './agent-recovery.service';
import { InvalidCupidPipe } from './cupid.pipe';
import { AgentReasonQueryDto } from './dto/agent-mfa.dto';
import { AccountLockoutDto, FactorResetDto, toAccountLockoutDto, toFactorResetDto } from './dto/agent-recovery.dto';

/**
 * Support tools (issue 17, item 7): a customer's factors (list, remove one, reset all with a second agent's
 * approval where configured) and password lockout (see, unlock). Every call states a reason, is audited with the
 * agent's subject, and every change is told to the customer on another channel.
 */
@ApiTags('agents')
@ApiBearerAuth('agent')
@UseGuards(AgentAuthGuard)
@ApiParam({ name: 'cupid', description: 'The customer id', example: 'CUPID-ALICE-0001' })
@ApiProblems('VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN', 'DEPENDENCY_UNAVAILABLE')
@Controller('agent/customers/:cupid')
export class AgentRecoveryController {
  constructor(private readonly recovery: AgentRecoveryService) {}

  @Get('factors')
  @ApiOperation({ summary: "A customer's factors, every kind (audited as agent.viewed)" })
  @ApiOkResponse({ type: FactorListDto })
  async factorsOf(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Query() query: AgentReasonQueryDto,
    @Req() request: AgentRequest,
  ): Promise<FactorListDto> {
    return { factors: (await this.recovery.factorsOf(cupid, agentAction(request, query.reason))).map(toFactorDto) };
  }

  @Post('factors/:factorKind/:factorId/revoke')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove one factor of the customer', description: 'Audited as factor.removed; notified.' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiProblems('NOT_FOUND', 'FACTOR_NOT_REVOCABLE')
  async revokeFactor(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Param('factorKind') kind: string,
    @Param('factorId') id: string,
    @Body() body: ReasonDto,
    @Req() request: AgentRequest,
  ): Promise<void> {
    await this.recovery.removeFactor(cupid, kind, id, agentAction(request, body.reason));
  }

  @Post('factors/reset')
  @HttpCode(200)
  @ApiOperation({
    summary: "Reset the customer's second factors",
    description:
      'Revokes every revocable factor (the directory phone stays). With FACTOR_RESET_APPROVAL=two-agents the reset is PENDING until a second agent approves it.',
  })
  @ApiOkResponse({ type: FactorResetDto })
  async reset(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Body() body: ReasonDto,
    @Req() request: AgentRequest,
  ): Promise<FactorResetDto> {
    return toFactorResetDto(await this.recovery.requestReset(cupid, agentAction(request, body.reason)));
  }

  @Post('factors/reset/:resetId/approve')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Approve a pending factor reset (a second, different agent)',
    description: 'The reset applies at once; the requesting agent cannot approve its own.',
  })
  @ApiOkResponse({ type: FactorResetDto })
  @ApiProblems('FACTOR_RESET_NOT_PENDING')
  async approve(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Param('resetId', new ParseUUIDPipe()) resetId: string,
    @Body() body: ReasonDto,
    @Req() request: AgentRequest,
  ): Promise<FactorResetDto> {
    return toFactorResetDto(await this.recovery.approveReset(cupid, resetId, agentAction(request, body.reason)));
  }

  @Get('lockout')
  @ApiOperation({ summary: "The customer's password lockout: locked, suspended, failures (audited as agent.viewed)" })
  @ApiOkResponse({ type: AccountLockoutDto })
  async lockout(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Query() query: AgentReasonQueryDto,
    @Req() request: AgentRequest,
  ): Promise<AccountLockoutDto> {
    return toAccountLockoutDto(cupid, await this.recovery.lockoutOf(cupid, agentAction(request, query.reason)));
  }

  @Post('lockout/unlock')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Unlock a locked or suspended account',
    description: 'Clears the consecutive password failures and any lock; audited as account.unlocked; notified.',
  })
  @ApiOkResponse({ type: AccountLockoutDto })
  async unlock(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Body() body: ReasonDto,
    @Req() request: AgentRequest,
  ): Promise<AccountLockoutDto> {
    return toAccountLockoutDto(cupid, await this.recovery.unlock(cupid, agentAction(request, body.reason)));
  }
}
