import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { NotFoundProblem, ValidationFailedError } from '../common/problem';
import { ApiProblems } from '../common/problem.dto';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { InvalidSetReceiverError, SignalsService } from '../signals/signals.service';
import { AgentAuthGuard, AgentRoleMissingError } from './agent-jwt.strategy';
import type { AgentRequest } from './agent-jwt.strategy';
import {
  SetReceiverDto,
  SetReceiverListDto,
  SetReceiverRegistrationDto,
  toSetReceiverDto,
} from './dto/set-receiver.dto';

/**
 * Shared Signals receivers (issue 19 item 3), for agents with the admin role (AGENT_ADMIN_ROLE) on top of
 * the agent role: who receives CAEP/RISC security event tokens, where, for which audience and event types.
 * Each change is audited (set_receiver.registered, set_receiver.deactivated) with the agent as actor.
 */
@ApiTags('admin')
@ApiBearerAuth('agent')
@UseGuards(AgentAuthGuard)
@ApiProblems('VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN', 'DEPENDENCY_UNAVAILABLE')
@Controller('agent/admin/set-receivers')
export class AgentSignalsController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly signals: SignalsService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The Shared Signals receivers, active or not' })
  @ApiOkResponse({ type: SetReceiverListDto })
  async list(@Req() request: AgentRequest): Promise<SetReceiverListDto> {
    this.requireAdmin(request);
    return { receivers: (await this.signals.list()).map(toSetReceiverDto) };
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Register a receiver of security event tokens (RFC 8935 push)',
    description: 'Audited as set_receiver.registered.',
  })
  @ApiCreatedResponse({ type: SetReceiverDto })
  async register(@Body() body: SetReceiverRegistrationDto, @Req() request: AgentRequest): Promise<SetReceiverDto> {
    this.requireAdmin(request);
    try {
      return toSetReceiverDto(await this.signals.register(body, { type: 'AGENT', id: request.user.subject }));
    } catch (error) {
      if (error instanceof InvalidSetReceiverError)
        throw new ValidationFailedError([{ field: 'body', messages: error.message.split('; ') }]);
      throw error;
    }
  }

  @Post(':receiverId/deactivate')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Deactivate a receiver: it gets no more SETs',
    description: 'Audited as set_receiver.deactivated.',
  })
  @ApiNoContentResponse({ description: 'Deactivated' })
  @ApiProblems('NOT_FOUND')
  async deactivate(@Param('receiverId', new ParseUUIDPipe()) id: string, @Req() request: AgentRequest): Promise<void> {
    this.requireAdmin(request);
    if (!(await this.signals.deactivate(id, { type: 'AGENT', id: request.user.subject })))
      throw new NotFoundProblem('No active receiver has this id.');
  }

  private requireAdmin(request: AgentRequest): void {
    if (!request.user.roles.includes(this.config.agents.adminRole))
      throw new AgentRoleMissingError(this.config.agents.adminRole);
  }
}
