import { Global, Module } from '@nestjs/common';
import { OutboxDispatcher } from './outbox-dispatcher';
import { OutboxMetrics } from './outbox-metrics';
import { OutboxRepository } from './outbox.repository';
import { OutboxService } from './outbox.service';

/**
 * The transactional outbox: a low layer (it imports only common, config, database, audit and observability),
 * global like the audit sink, so any module may enqueue in its own transaction and register the handler of
 * its channel at module init (onModuleInit; delivery starts at application bootstrap, after every init).
 */
@Global()
@Module({
  providers: [OutboxRepository, OutboxService, OutboxMetrics, OutboxDispatcher],
  exports: [OutboxRepository, OutboxService, OutboxDispatcher],
})
export class OutboxModule {}
