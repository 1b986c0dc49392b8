import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Clock } from '../common/clock';
import { NotFoundProblem } from '../common/problem';
import { ApiProblems } from '../common/problem.dto';
import { requestOrigin } from '../common/request-origin';
import { DevicesService } from '../devices/devices.service';
import { CustomerAuthGuard } from './customer-auth.guard';
import { DeviceRevocationService } from '../sessions/device-revocation.service';
import type { CustomerRequest } from './customer-auth.guard';
import { DeviceListDto, RevokedCountDto, SessionListDto, toDeviceDto, toSessionDto } from './dto/session.dto';
import { SessionsRepository } from '../sessions/sessions.repository';
import { SessionsService } from '../sessions/sessions.service';

/** Customer self-service with the customer's own bearer access token. Only the token's customer is ever touched. */
@ApiTags('self-service')
@ApiBearerAuth('customer')
@UseGuards(CustomerAuthGuard)
@ApiProblems('UNAUTHENTICATED', 'FORBIDDEN', 'DEPENDENCY_UNAVAILABLE')
@Controller('me')
export class MeController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly sessionRows: SessionsRepository,
    private readonly devices: DevicesService,
    private readonly deviceRevocation: DeviceRevocationService,
    private readonly clock: Clock,
  ) {}

  @Get('sessions')
  @ApiOperation({
    summary: 'My active sessions',
    description: 'Each signed-in device, with `current` marking the session of this token.',
  })
  @ApiOkResponse({ type: SessionListDto })
  async listSessions(@Req() request: CustomerRequest): Promise<SessionListDto> {
    const rows = await this.sessionRows.listLive(request.customer.cupid, this.clock.now());
    return { sessions: rows.map((row) => toSessionDto(row, { current: row.id === request.customer.sessionId })) };
  }

  @Delete('sessions/:sessionId')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Sign out one of my sessions',
    description: 'Revokes the session and every token in it at once.',
  })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiProblems('NOT_FOUND')
  async revokeSession(
    @Param('sessionId', new ParseUUIDPipe()) sessionId: string,
    @Req() request: CustomerRequest,
  ): Promise<void> {
    const session = await this.sessions.findById(sessionId);
    // Another customer's session is "not found", never "forbidden": ids reveal nothing.
    if (
      session?.cupid !== request.customer.cupid ||
      !(await this.sessions.revoke(
        sessionId,
        { type: 'CUSTOMER', id: request.customer.cupid },
        'signed out by the customer',
        requestOrigin(request),
      ))
    ) {
      throw new NotFoundProblem('No active session of yours has this id.');
    }
  }

  @Post('sessions/revoke-others')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign out everywhere else',
    description: 'Revokes every session of mine except the one of this token.',
  })
  @ApiOkResponse({ type: RevokedCountDto })
  async revokeOthers(@Req() request: CustomerRequest): Promise<RevokedCountDto> {
    const { cupid, sessionId } = request.customer;
    const revoked = await this.sessions.revokeAllForCupid(
      cupid,
      { type: 'CUSTOMER', id: cupid },
      'signed out elsewhere by the customer',
      sessionId,
      requestOrigin(request),
    );
    return { revoked };
  }

  @Get('devices')
  @ApiOperation({ summary: 'My trusted devices' })
  @ApiOkResponse({ type: DeviceListDto })
  async listDevices(@Req() request: CustomerRequest): Promise<DeviceListDto> {
    return { devices: (await this.devices.list(request.customer.cupid)).map(toDeviceDto) };
  }

  @Delete('devices/:deviceId')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Remove one of my trusted devices',
    description:
      'It can no longer skip MFA or approve pushes; the sessions it opened or was bound in end with their tokens.',
  })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiProblems('NOT_FOUND')
  async revokeDevice(
    @Param('deviceId', new ParseUUIDPipe()) deviceId: string,
    @Req() request: CustomerRequest,
  ): Promise<void> {
    const { cupid } = request.customer;
    if (
      !(await this.deviceRevocation.revoke(
        cupid,
        deviceId,
        { type: 'CUSTOMER', id: cupid },
        'removed by the customer',
        requestOrigin(request),
      ))
    ) {
      throw new NotFoundProblem('No active device of yours has this id.');
    }
  }
}
