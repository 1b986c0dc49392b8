import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { InvalidCupidPipe } from './cupid.pipe';
import { NotFoundProblem } from '../common/problem';
import { ApiProblems } from '../common/problem.dto';
import {
  decodeCursor,
  DeviceListDto,
  encodeCursor,
  ReasonDto,
  RevokedCountDto,
  SessionDto,
  SessionPageDto,
  toDeviceDto,
  toSessionDto,
} from '../me/dto/session.dto';
import { DeviceRevocationService } from '../sessions/device-revocation.service';
import { SessionsService } from '../sessions/sessions.service';
import { AgentAuthGuard } from './agent-jwt.strategy';
import type { AgentRequest } from './agent-jwt.strategy';
import { agentAction } from './agent-action';
import { AgentSupportService } from './agent-support.service';
import { AgentReadQueryDto, AuditPageDto, AuditQueryDto, toAuditEventDto } from './dto/agent.dto';

/**
 * The support agents' API: bearer JWTs from the workforce identity provider with the agent role. Every
 * action, reads included, states a reason; the agent's subject, the reason and the target go to the
 * customer's audit trail.
 */
@ApiTags('agents')
@ApiBearerAuth('agent')
@UseGuards(AgentAuthGuard)
@ApiParam({ name: 'cupid', description: 'The customer id', example: 'CUPID-ALICE-0001' })
@ApiProblems('VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN', 'DEPENDENCY_UNAVAILABLE')
@Controller('agent/customers/:cupid')
export class AgentController {
  constructor(
    private readonly support: AgentSupportService,
    private readonly sessions: SessionsService,
    private readonly deviceRevocation: DeviceRevocationService,
  ) {}

  @Get('sessions')
  @ApiOperation({ summary: "A customer's sessions, newest first (all statuses, paged)" })
  @ApiOkResponse({ type: SessionPageDto })
  async sessionsOf(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Query() query: AgentReadQueryDto,
    @Req() request: AgentRequest,
  ): Promise<SessionPageDto> {
    const page = await this.support.sessionsOf(
      cupid,
      { limit: query.limit ?? 20, before: decodeCursor(query.cursor) },
      agentAction(request, query.reason),
    );
    return {
      sessions: page.rows.map((row) => toSessionDto(row)),
      ...(page.hasMore ? { nextCursor: encodeCursor(page.rows[page.rows.length - 1]) } : {}),
    };
  }

  @Post('sessions/:sessionId/revoke')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Revoke one session',
    description: 'Its tokens stop working at once: introspection says inactive, refresh and userinfo fail.',
  })
  @ApiOkResponse({ type: SessionDto })
  @ApiProblems('NOT_FOUND')
  async revokeSession(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Param('sessionId', new ParseUUIDPipe()) sessionId: string,
    @Body() body: ReasonDto,
    @Req() request: AgentRequest,
  ): Promise<SessionDto> {
    const revoked = await this.support.revokeSession(cupid, sessionId, agentAction(request, body.reason));
    if (!revoked) throw new NotFoundProblem('This customer has no active session with this id.');
    return toSessionDto(revoked);
  }

  @Post('sessions/revoke-all')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke every session of the customer' })
  @ApiOkResponse({ type: RevokedCountDto })
  async revokeAll(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Body() body: ReasonDto,
    @Req() request: AgentRequest,
  ): Promise<RevokedCountDto> {
    const { agent, reason, origin } = agentAction(request, body.reason);
    return { revoked: await this.sessions.revokeAllForCupid(cupid, agent, reason, undefined, origin) };
  }

  @Get('devices')
  @ApiOperation({ summary: "A customer's trusted devices (revoked ones too)" })
  @ApiOkResponse({ type: DeviceListDto })
  async devicesOf(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Query() query: AgentReadQueryDto,
    @Req() request: AgentRequest,
  ): Promise<DeviceListDto> {
    const devices = await this.support.devicesOf(cupid, agentAction(request, query.reason));
    return { devices: devices.map(toDeviceDto) };
  }

  @Post('devices/:deviceId/revoke')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Revoke a trusted device',
    description: 'The sessions it opened or was bound in end too, with their tokens.',
  })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiProblems('NOT_FOUND')
  async revokeDevice(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Param('deviceId', new ParseUUIDPipe()) deviceId: string,
    @Body() body: ReasonDto,
    @Req() request: AgentRequest,
  ): Promise<void> {
    const { agent, reason, origin } = agentAction(request, body.reason);
    if (!(await this.deviceRevocation.revoke(cupid, deviceId, agent, reason, origin))) {
      throw new NotFoundProblem('This customer has no active device with this id.');
    }
  }

  @Get('audit')
  @ApiOperation({
    summary: "A customer's audit trail",
    description: 'Newest first; filter by time range and event types; cursor paging.',
  })
  @ApiOkResponse({ type: AuditPageDto })
  async auditOf(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Query() query: AuditQueryDto,
    @Req() request: AgentRequest,
  ): Promise<AuditPageDto> {
    const page = await this.support.auditOf(
      {
        cupid,
        limit: query.limit ?? 50,
        from: query.from ? new Date(query.from) : undefined,
        to: query.to ? new Date(query.to) : undefined,
        types: query.types?.split(','),
        before: decodeCursor(query.cursor),
      },
      agentAction(request, query.reason),
    );
    return {
      events: page.rows.map(toAuditEventDto),
      ...(page.hasMore ? { nextCursor: encodeCursor(page.rows[page.rows.length - 1]) } : {}),
    };
  }
}
