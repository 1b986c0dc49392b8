import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/problem.dto';
import { MfaLockoutService } from '../mfa/mfa-lockout.service';
import { ReasonDto } from '../me/dto/session.dto';
import { agentAction } from './agent-action';
import type { AgentRequest } from './agent-jwt.strategy';
import { AgentSupportService } from './agent-support.service';
import { InvalidCupidPipe } from './cupid.pipe';
import { AgentReasonQueryDto, MfaStandingDto, toMfaStandingDto } from './dto/agent-mfa.dto';

/**
 * A customer's MFA lock for support agents: 10 wrong one-time codes in 24 hours lock every second factor
 * for 15 minutes (mfa/mfa-lockout.service.ts). The agent sees it and may lift it (which clears the count)
 * once the customer is known to be the one asking; both are audited with the agent's reason.
 */
@ApiTags('agents')
@ApiBearerAuth('agent')
@UseGuards(AuthGuard('agent-jwt'))
@ApiParam({ name: 'cupid', description: 'The customer id', example: 'CUPID-ALICE-0001' })
@ApiProblems('VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN', 'DEPENDENCY_UNAVAILABLE')
@Controller('agent/customers/:cupid/mfa')
export class AgentMfaController {
  constructor(
    private readonly support: AgentSupportService,
    private readonly mfaLockout: MfaLockoutService,
  ) {}

  @Get()
  @ApiOperation({
    summary:
      "The customer's MFA lock: whether every second factor is refused, until when, and the wrong codes that count",
  })
  @ApiOkResponse({ type: MfaStandingDto })
  async standing(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Query() query: AgentReasonQueryDto,
    @Req() request: AgentRequest,
  ): Promise<MfaStandingDto> {
    return toMfaStandingDto(await this.support.mfaStandingOf(cupid, agentAction(request, query.reason)));
  }

  @Post('unlock')
  @HttpCode(200)
  @ApiOperation({
    summary: "Lift the customer's MFA lock and clear the count of wrong codes",
    description: 'Audited as mfa.unlocked with the reason.',
  })
  @ApiOkResponse({ type: MfaStandingDto })
  async unlock(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Body() body: ReasonDto,
    @Req() request: AgentRequest,
  ): Promise<MfaStandingDto> {
    const { agent, reason, origin } = agentAction(request, body.reason);
    return toMfaStandingDto(await this.mfaLockout.unlock(cupid, agent, reason, origin));
  }
}
