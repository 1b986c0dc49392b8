import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Req, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AgentAdminGuard } from '../agents/agent-admin.guard';
import type { AgentRequest } from '../agents/agent-jwt.strategy';
import { ApiProblems } from '../common/problem.dto';
import { NotFoundProblem } from '../common/problem';
import {
  CreateWebhookDto,
  toWebhookDto,
  WebhookListDto,
  WebhookSecretDto,
  WebhookSubscriptionDto,
} from './dto/webhook.dto';
import { WebhooksService } from './webhooks.service';

const subscriptionId = new ParseUUIDPipe({
  exceptionFactory: () => new NotFoundProblem('No webhook subscription has this id.'),
});

/**
 * Webhook subscriptions, for agents with the admin role (AGENT_ADMIN_ROLE): where audit events are pushed,
 * signed (README, "Webhooks"). Every change is audited with the agent's id.
 */
@ApiTags('admin')
@ApiBearerAuth('agent')
@UseGuards(AuthGuard('agent-jwt'), AgentAdminGuard)
@ApiProblems('VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND')
@Controller('agent/admin/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @ApiOperation({ summary: 'The webhook subscriptions (secrets are never shown again)' })
  @ApiOkResponse({ type: WebhookListDto })
  async list(): Promise<WebhookListDto> {
    return { subscriptions: (await this.webhooks.list()).map(toWebhookDto) };
  }

  @Post()
  @ApiOperation({
    summary: 'Subscribe an endpoint to audit events; the answer holds its signing secret, shown once',
    description: 'Audited as webhook.subscription_created.',
  })
  @ApiCreatedResponse({ type: WebhookSecretDto })
  async create(@Body() body: CreateWebhookDto, @Req() request: AgentRequest): Promise<WebhookSecretDto> {
    const { subscription, secret } = await this.webhooks.create(body, { type: 'AGENT', id: request.user.subject });
    return { subscription: toWebhookDto(subscription), secret };
  }

  @Post(':id/disable')
  @HttpCode(200)
  @ApiParam({ name: 'id', format: 'uuid', example: '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b' })
  @ApiOperation({ summary: 'Stop sending to a subscription', description: 'Audited as webhook.subscription_disabled.' })
  @ApiOkResponse({ type: WebhookSubscriptionDto })
  async disable(
    @Param('id', subscriptionId) id: string,
    @Req() request: AgentRequest,
  ): Promise<WebhookSubscriptionDto> {
    return toWebhookDto(await this.webhooks.disable(id, { type: 'AGENT', id: request.user.subject }));
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiParam({ name: 'id', format: 'uuid', example: '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b' })
  @ApiOperation({
    summary: "Replace a subscription's signing secret; the answer holds the new one, shown once",
    description:
      'The old secret stops at once (retries are signed with the new one). Audited as webhook.secret_rotated.',
  })
  @ApiOkResponse({ type: WebhookSecretDto })
  async rotateSecret(@Param('id', subscriptionId) id: string, @Req() request: AgentRequest): Promise<WebhookSecretDto> {
    const { subscription, secret } = await this.webhooks.rotateSecret(id, { type: 'AGENT', id: request.user.subject });
    return { subscription: toWebhookDto(subscription), secret };
  }
}
