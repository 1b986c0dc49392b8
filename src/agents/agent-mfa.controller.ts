import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { ApiProblems } from '../common/problem.dto';
import { requestOrigin } from '../common/request-origin';
import { MfaLockoutService } from '../mfa/mfa-lockout.service';
import { ReasonDto } from '../me/dto/session.dto';
import type { AgentRequest } from './agent-jwt.strategy';
import { InvalidCupidPipe } from './cupid.pipe';
import { AgentReasonQueryDto, MfaStandingDto, toMfaStandingDto } from './dto/agent-mfa.dto';

/**
 * A customer's MFA lock for support agents: 10 wrong one-time codes in 24 hours lock every second factor
 * for 15 minutes (mfa/mfa-lockout.service.ts). The agent sees it and may lift it (which clears the count)
 * once the customer is known to be the one asking; both are audited with the agent's reason.
 */
@ApiTags('agents')
@ApiBearerAuth()
@UseGuards(AuthGuard('agent-jwt'))
@ApiParam({ name: 'cupid', description: 'The customer id', example: 'CUPID-ALICE-0001' })
@ApiProblems({
  400: 'VALIDATION_FAILED: a reason is required (5 to 500 characters)',
  401: 'Missing, expired or invalid workforce token (wrong issuer, audience or key)',
  403: 'FORBIDDEN: the token lacks the agent role',
})
@Controller('agent/customers/:cupid/mfa')
export class AgentMfaController {
  constructor(
    private readonly mfaLockout: MfaLockoutService,
    private readonly audit: AuditService,
    private readonly dataSource: DataSource,
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
    const standing = await this.mfaLockout.standing(cupid);
    const origin = requestOrigin(request);
    await this.dataSource.transaction((tx) =>
      this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.AGENT_VIEWED,
        outcome: 'SUCCESS',
        actor: { type: 'AGENT', id: request.user.subject },
        cupid,
        ip: origin.ip,
        userAgent: origin.userAgent,
        details: { what: 'mfa', reason: query.reason },
      }),
    );
    return toMfaStandingDto(standing);
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
    return toMfaStandingDto(
      await this.mfaLockout.unlock(
        cupid,
        { type: 'AGENT', id: request.user.subject },
        body.reason,
        requestOrigin(request),
      ),
    );
  }
}
