import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditTrailRepository } from '../audit/audit-trail.repository';
import { AuditService } from '../audit/audit.service';
import { InvalidCupidPipe } from './cupid.pipe';
import { NotFoundProblem } from '../common/problem';
import { ApiProblems } from '../common/problem.dto';
import { requestOrigin } from '../common/request-origin';
import { DevicesService } from '../devices/devices.service';
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
import { SessionsRepository } from '../sessions/sessions.repository';
import { SessionsService } from '../sessions/sessions.service';
import { AgentAuthGuard } from './agent-jwt.strategy';
import type { AgentRequest } from './agent-jwt.strategy';
import { AgentReadQueryDto, AuditPageDto, AuditQueryDto, toAuditEventDto } from './dto/agent.dto';

/**
 * The support agents' API: bearer JWTs from the workforce identity provider with the agent role. Every
 * action, reads included, states a reason; the agent's subject, the reason and the target go to the
 * customer's audit trail.
 */
@ApiTags('agents')
@ApiBearerAuth()
@UseGuards(AgentAuthGuard)
@ApiParam({ name: 'cupid', description: 'The customer id', example: 'CUPID-ALICE-0001' })
@ApiProblems({
  400: 'VALIDATION_FAILED: a reason is required (5 to 500 characters)',
  401: 'UNAUTHENTICATED, with `WWW-Authenticate: Bearer`: missing, expired or invalid workforce token (wrong issuer, audience or key, no `exp`, `iat` or `nbf` in the future)',
  403: 'FORBIDDEN, with `error="insufficient_scope"`: the token lacks the agent role',
})
@Controller('agent/customers/:cupid')
export class AgentController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly sessionRows: SessionsRepository,
    private readonly devices: DevicesService,
    private readonly deviceRevocation: DeviceRevocationService,
    private readonly trail: AuditTrailRepository,
    private readonly audit: AuditService,
    private readonly dataSource: DataSource,
  ) {}

  @Get('sessions')
  @ApiOperation({ summary: "A customer's sessions, newest first (all statuses, paged)" })
  @ApiOkResponse({ type: SessionPageDto })
  async sessionsOf(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Query() query: AgentReadQueryDto,
    @Req() request: AgentRequest,
  ): Promise<SessionPageDto> {
    const limit = query.limit ?? 20;
    const rows = await this.sessionRows.page(cupid, limit + 1, decodeCursor(query.cursor));
    await this.recordView(request, cupid, 'sessions', query.reason);
    return {
      sessions: rows.slice(0, limit).map((row) => toSessionDto(row)),
      ...(rows.length > limit ? { nextCursor: encodeCursor(rows[limit - 1]) } : {}),
    };
  }

  @Post('sessions/:sessionId/revoke')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Revoke one session',
    description: 'Its tokens stop working at once: introspection says inactive, refresh and userinfo fail.',
  })
  @ApiOkResponse({ type: SessionDto })
  @ApiProblems({ 404: 'NOT_FOUND: the customer has no active session by that id' })
  async revokeSession(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Param('sessionId', new ParseUUIDPipe()) sessionId: string,
    @Body() body: ReasonDto,
    @Req() request: AgentRequest,
  ): Promise<SessionDto> {
    const session = await this.sessions.findById(sessionId);
    if (
      session?.cupid !== cupid ||
      !(await this.sessions.revoke(sessionId, this.agent(request), body.reason, requestOrigin(request)))
    ) {
      throw new NotFoundProblem('This customer has no active session with this id.');
    }
    return toSessionDto((await this.sessionRows.findRow(sessionId))!);
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
    return {
      revoked: await this.sessions.revokeAllForCupid(
        cupid,
        this.agent(request),
        body.reason,
        undefined,
        requestOrigin(request),
      ),
    };
  }

  @Get('devices')
  @ApiOperation({ summary: "A customer's trusted devices (revoked ones too)" })
  @ApiOkResponse({ type: DeviceListDto })
  async devicesOf(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Query() query: AgentReadQueryDto,
    @Req() request: AgentRequest,
  ): Promise<DeviceListDto> {
    const devices = await this.devices.list(cupid, true);
    await this.recordView(request, cupid, 'devices', query.reason);
    return { devices: devices.map(toDeviceDto) };
  }

  @Post('devices/:deviceId/revoke')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Revoke a trusted device',
    description: 'The sessions it opened or was bound in end too, with their tokens.',
  })
  @ApiProblems({ 404: 'NOT_FOUND: the customer has no active device by that id' })
  async revokeDevice(
    @Param('cupid', InvalidCupidPipe) cupid: string,
    @Param('deviceId', new ParseUUIDPipe()) deviceId: string,
    @Body() body: ReasonDto,
    @Req() request: AgentRequest,
  ): Promise<void> {
    if (
      !(await this.deviceRevocation.revoke(cupid, deviceId, this.agent(request), body.reason, requestOrigin(request)))
    ) {
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
    const limit = query.limit ?? 50;
    const rows = await this.trail.page({
      cupid,
      limit: limit + 1,
      from: query.from ? new Date(query.from) : undefined,
      to: query.to ? new Date(query.to) : undefined,
      types: query.types?.split(','),
      before: decodeCursor(query.cursor),
    });
    // Recorded after the read, so the reading itself is not in the page it returns.
    await this.recordView(request, cupid, 'audit', query.reason);
    return {
      events: rows.slice(0, limit).map(toAuditEventDto),
      ...(rows.length > limit ? { nextCursor: encodeCursor(rows[limit - 1]) } : {}),
    };
  }

  private agent(request: AgentRequest) {
    return { type: 'AGENT' as const, id: request.user.subject };
  }

  private async recordView(request: AgentRequest, cupid: string, what: string, reason: string): Promise<void> {
    const origin = requestOrigin(request);
    await this.dataSource.transaction((tx) =>
      this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.AGENT_VIEWED,
        outcome: 'SUCCESS',
        actor: this.agent(request),
        cupid,
        ip: origin.ip,
        userAgent: origin.userAgent,
        details: { what, reason },
      }),
    );
  }
}
