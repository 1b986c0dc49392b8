import { Module } from '@nestjs/common';
import { AuditChainModule } from '../audit-chain/audit-chain.module';
import { AgentAdminGuard } from '../agents/agent-admin.guard';
import { KeysModule } from '../keys/keys.module';
import { WebhookSubscriptionsRepository } from './webhook-subscriptions.repository';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/**
 * Audit events pushed to subscribed endpoints: fanned out by the audit sequencer into the outbox (channel
 * 'webhook'), delivered signed. KeysModule for the key-encryption key that seals the secrets.
 */
@Module({
  imports: [AuditChainModule, KeysModule],
  controllers: [WebhooksController],
  providers: [WebhookSubscriptionsRepository, WebhooksService, AgentAdminGuard],
  exports: [WebhooksService],
})
export class WebhooksModule {}
