import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService, SqlFragment } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { scrubSecrets } from '../common/redact';
import { deferWrite } from '../database/sql';
import { OutboxInsert, OutboxMessageView, OutboxRepository, OutboxState } from './outbox.repository';

/** One message to deliver after the transaction that enqueues it commits. */
export interface OutboxMessage {
  /** Which handler delivers it: 'session_ended', 'backchannel_logout', 'set', 'webhook', ... */
  channel: string;
  /** The handler's target id (a client id, a receiver id, a subscription id). */
  destination: string;
  /**
   * Messages with the same (channel, destination, orderingKey) are delivered strictly in enqueue order: a later
   * one waits while an earlier one is pending or retrying (a dead one no longer holds it back). Null: no order.
   */
  orderingKey: string | null;
  /** JSON; never secrets, never token values (secret-named fields are replaced, as in audit details). */
  payload: Record<string, unknown>;
}

/** What a handler is given: the message, its attempt number (1 for the first) and when it was enqueued. */
export interface OutboxDelivery {
  /** Unique and stable across retries: receivers dedupe on it (delivery is at least once). */
  id: string;
  destination: string;
  orderingKey: string | null;
  payload: Record<string, unknown>;
  attempts: number;
  createdAt: Date;
}

export type OutboxOutcome = { outcome: 'delivered' } | { outcome: 'retry' | 'dead'; error: string };

/**
 * Delivers one message, outside any transaction. Resolve `retry` for a passing failure (network, timeout, 5xx:
 * tried again with backoff until OUTBOX_MAX_ATTEMPTS or OUTBOX_MAX_AGE_SECONDS), `dead` when retrying cannot
 * help (the receiver refused it for good, the destination is gone). A throw counts as `retry`. `error` is
 * stored, listed and audited: never a secret or a response body.
 */
export type OutboxHandler = (message: OutboxDelivery) => Promise<OutboxOutcome>;

export interface OutboxHandlerOptions {
  /**
   * Audit successful deliveries (`outbox.delivered`); default true. Failures and dead letters are always
   * audited. A channel that delivers audit events themselves (webhooks of the audit trail) turns it off, or
   * each delivery would produce another event to deliver.
   */
  auditDelivered?: boolean;
}

const MAX_PAYLOAD_BYTES = 64 * 1024;

export class InvalidOutboxMessageError extends Error {}

/**
 * The transactional outbox (docs/architecture.md, "Outbox"): a message commits or rolls back with the change
 * it announces (same transaction, or the same statement through `fragment`), and is delivered afterwards, at
 * least once, by whichever instance claims it (OutboxDispatcher). Handlers register by channel at module init.
 */
@Injectable()
export class OutboxService {
  private readonly handlers = new Map<string, { handler: OutboxHandler; options: OutboxHandlerOptions }>();

  constructor(
    private readonly repository: OutboxRepository,
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /**
   * The INSERT of `messages` as a fragment for the caller's repository (like AuditService.fragment): one
   * parameter, `$firstParam`; e.g. `WITH changed AS (<the change> RETURNING id), outbox AS (<text>) ...`.
   * `when`: a boolean SQL condition of the caller's statement, so nothing is enqueued for a change that did not happen.
   */
  fragment(messages: OutboxMessage[], firstParam: number, options: { when?: string } = {}): SqlFragment {
    return this.repository.insertFragment(this.rows(messages), firstParam, options.when);
  }

  /** Enqueues in `manager`'s transaction (the transactional outbox); without one, in a statement of its own. */
  async enqueue(manager: EntityManager | undefined, messages: OutboxMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.repository.insert(manager ?? this.dataSource.manager, this.rows(messages));
  }

  /**
   * Enqueues in `manager`'s transaction as a deferred write (database/sql.ts, withDeferredWrites): inside a unit
   * that defers writes it rides along as a CTE member of the next statement (no round trip of its own); anywhere
   * else it is written at once. For hot paths (a journey step); the message commits with the transaction alike.
   */
  async enqueueDeferred(manager: EntityManager, messages: OutboxMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const rows = this.rows(messages);
    await deferWrite(manager, (firstParam) => this.repository.insertFragment(rows, firstParam));
  }

  registerHandler(channel: string, handler: OutboxHandler, options: OutboxHandlerOptions = {}): void {
    if (this.handlers.has(channel)) throw new Error(`outbox channel "${channel}" already has a handler`);
    this.handlers.set(channel, { handler, options });
  }

  handler(channel: string): OutboxHandler | undefined {
    return this.handlers.get(channel)?.handler;
  }

  handlerOptions(channel: string): OutboxHandlerOptions {
    return this.handlers.get(channel)?.options ?? {};
  }

  /** The channels this instance delivers (it claims only those). */
  channels(): string[] {
    return [...this.handlers.keys()];
  }

  /** For operators (CLI, admin API): newest first. */
  list(filter: { state?: OutboxState; channel?: string; limit?: number } = {}): Promise<OutboxMessageView[]> {
    return this.repository.list(this.dataSource.manager, { ...filter, limit: Math.min(filter.limit ?? 100, 1000) });
  }

  find(id: string): Promise<OutboxMessageView | undefined> {
    return this.repository.find(this.dataSource.manager, id);
  }

  /** An operator puts a dead message back (audited); false when no dead message has that id. */
  async retryDead(id: string, by: { type: 'SYSTEM' | 'AGENT'; id: string }): Promise<boolean> {
    const message = await this.find(id);
    if (!message || message.state !== 'DEAD') return false;
    return this.repository.requeueDead(this.dataSource.manager, id, this.clock.now(), (firstParam, when) =>
      this.audit.fragment(
        [
          {
            type: AUDIT_EVENT_TYPES.OUTBOX_REQUEUED,
            outcome: 'SUCCESS',
            actor: by,
            details: { messageId: id, channel: message.channel, destination: message.destination, by: by.id },
          },
        ],
        firstParam,
        { when },
      ),
    );
  }

  private rows(messages: OutboxMessage[]): OutboxInsert[] {
    const createdAt = this.clock.now();
    return messages.map((message) => {
      if (!/^[a-z][a-z0-9_.-]{0,63}$/.test(message.channel))
        throw new InvalidOutboxMessageError(`outbox channel "${message.channel}" is not a lower-case name`);
      if (!message.destination || message.destination.length > 256)
        throw new InvalidOutboxMessageError('outbox destination must be 1 to 256 characters');
      if (message.orderingKey !== null && (message.orderingKey.length === 0 || message.orderingKey.length > 256))
        throw new InvalidOutboxMessageError('outbox ordering key must be null or 1 to 256 characters');
      const payload = scrubSecrets(message.payload);
      if (Buffer.byteLength(JSON.stringify(payload)) > MAX_PAYLOAD_BYTES)
        throw new InvalidOutboxMessageError(`outbox payload over ${MAX_PAYLOAD_BYTES} bytes`);
      return {
        channel: message.channel,
        destination: message.destination,
        orderingKey: message.orderingKey,
        payload,
        createdAt,
      };
    });
  }
}
