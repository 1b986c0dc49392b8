import { randomUUID } from 'node:crypto';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditSequencer, ChainedAuditRow } from '../audit-chain/audit-sequencer';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import type { AuditActorType } from '../audit/audit-events';
import { Clock } from '../common/clock';
import { open, seal } from '../common/crypto';
import { FieldError, NotFoundProblem, ValidationFailedError } from '../common/problem';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { deliveryUrlProblem } from '../outbox/delivery-url';
import { postDelivery } from '../outbox/http-delivery';
import { OutboxDelivery, OutboxMessage, OutboxOutcome, OutboxService } from '../outbox/outbox.service';
import { KEY_ENCRYPTION_KEY } from '../keys/key-encryption-key';
import type { KeyEncryptionKey } from '../keys/key-encryption-key';
import { newWebhookSecret, webhookHeaders } from './webhook-signature';
import { WebhookSubscriptionRow, WebhookSubscriptionsRepository } from './webhook-subscriptions.repository';

export const WEBHOOK_CHANNEL = 'webhook';
/** Every event type, for a subscription that wants the whole trail (a SOC). */
export const ALL_EVENTS = '*';

export interface WebhookSubscriptionInput {
  name: string;
  url: string;
  eventTypes: string[];
  /** Personal data the receiver may see; all off by default (data minimisation). */
  includeCupid?: boolean;
  /** The client's IP address and user agent. */
  includeNetwork?: boolean;
  /** The event's details (free-form facts: may name masked phone numbers, device ids, reasons). */
  includeDetails?: boolean;
}

export interface WebhookActor {
  type: Extract<AuditActorType, 'AGENT' | 'SYSTEM'>;
  id: string;
}

const EVENT_TYPES = new Set<string>(Object.values(AUDIT_EVENT_TYPES));
const OUTBOX_EVENTS = new Set<string>([
  AUDIT_EVENT_TYPES.OUTBOX_DELIVERED,
  AUDIT_EVENT_TYPES.OUTBOX_DELIVERY_FAILED,
  AUDIT_EVENT_TYPES.OUTBOX_DEAD_LETTERED,
]);

/**
 * Webhook subscriptions and their delivery (docs/architecture.md, "Webhooks"). The audit sequencer hands each
 * chained batch to `fanOut`, in its transaction: one outbox message per matching subscription, so deliveries
 * follow chain order, at least once, and are never lost between chaining and enqueueing. The outbox delivers
 * through `deliver`, which signs each attempt (Standard Webhooks: HMAC-SHA256 of id.timestamp.body with the
 * subscription's secret, which is stored sealed with the key-encryption key and shown only at creation/rotation).
 */
@Injectable()
export class WebhooksService implements OnModuleInit {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KEY_ENCRYPTION_KEY) private readonly kek: KeyEncryptionKey,
    private readonly dataSource: DataSource,
    private readonly subscriptions: WebhookSubscriptionsRepository,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly sequencer: AuditSequencer,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.sequencer.onChained((manager, rows) => this.fanOut(manager, rows));
    // Delivered webhooks are not audited one by one (a '*' subscription would double the trail); failures and
    // dead letters are, and fanOut never sends those of this channel back out.
    this.outbox.registerHandler(WEBHOOK_CHANNEL, (message) => this.deliver(message), { auditDelivered: false });
  }

  async create(
    input: WebhookSubscriptionInput,
    actor: WebhookActor,
  ): Promise<{ subscription: WebhookSubscriptionRow; secret: string }> {
    const problems = this.problems(input);
    if (problems.length > 0) throw new ValidationFailedError(problems);
    const id = randomUUID();
    const secret = newWebhookSecret();
    const eventTypes = [...new Set(input.eventTypes)];
    const subscription = await this.dataSource.transaction(async (manager) => {
      const row = await this.subscriptions.insert(manager, {
        id,
        name: input.name.trim(),
        url: input.url,
        eventTypes,
        includeCupid: input.includeCupid ?? false,
        includeNetwork: input.includeNetwork ?? false,
        includeDetails: input.includeDetails ?? false,
        secretSealed: this.seal(id, secret),
        kekId: this.kek.id,
        createdBy: `${actor.type}:${actor.id}`,
      });
      await this.record(manager, AUDIT_EVENT_TYPES.WEBHOOK_SUBSCRIPTION_CREATED, actor, {
        subscriptionId: id,
        name: row.name,
        url: row.url,
        eventTypes,
        personalData: { cupid: row.include_cupid, network: row.include_network, details: row.include_details },
      });
      return row;
    });
    return { subscription, secret };
  }

  list(): Promise<WebhookSubscriptionRow[]> {
    return this.subscriptions.list(this.dataSource.manager);
  }

  /** Nothing more is enqueued for it; messages already queued are dead-lettered by their handler. */
  async disable(id: string, actor: WebhookActor): Promise<WebhookSubscriptionRow> {
    return this.dataSource.transaction(async (manager) => {
      const row = await this.subscriptions.disable(manager, id, this.clock.now());
      if (!row) throw new NotFoundProblem('No active webhook subscription has this id.');
      await this.record(manager, AUDIT_EVENT_TYPES.WEBHOOK_SUBSCRIPTION_DISABLED, actor, { subscriptionId: id });
      return row;
    });
  }

  /** A new secret, effective for the next delivery attempt (retries included); the old one stops at once. */
  async rotateSecret(
    id: string,
    actor: WebhookActor,
  ): Promise<{ subscription: WebhookSubscriptionRow; secret: string }> {
    const secret = newWebhookSecret();
    const subscription = await this.dataSource.transaction(async (manager) => {
      const row = await this.subscriptions.replaceSecret(
        manager,
        id,
        this.seal(id, secret),
        this.kek.id,
        this.clock.now(),
      );
      if (!row) throw new NotFoundProblem('No active webhook subscription has this id.');
      await this.record(manager, AUDIT_EVENT_TYPES.WEBHOOK_SECRET_ROTATED, actor, { subscriptionId: id });
      return row;
    });
    return { subscription, secret };
  }

  /**
   * In the sequencer's transaction: one message per (row, matching active subscription), in chain order. The
   * ordering key is the customer (CUPID), so one customer's events arrive in order while customers proceed in
   * parallel; an event without a CUPID (a journey's start, before the customer is known) is ordered with its
   * journey, and system events with each other. The outbox's own delivery events of this channel are never
   * fanned out (each delivery would announce itself again, without end).
   */
  async fanOut(manager: EntityManager, rows: ChainedAuditRow[]): Promise<void> {
    const active = await this.subscriptions.active(manager);
    if (active.length === 0) return;
    const messages: OutboxMessage[] = [];
    for (const row of rows) {
      if (OUTBOX_EVENTS.has(row.event_type) && row.details?.channel === WEBHOOK_CHANNEL) continue;
      for (const subscription of active) {
        const types = subscription.event_types;
        if (!types.includes(ALL_EVENTS) && !types.includes(row.event_type)) continue;
        messages.push({
          channel: WEBHOOK_CHANNEL,
          destination: subscription.id,
          orderingKey: row.cupid ? `cupid:${row.cupid}` : row.context_id ? `journey:${row.context_id}` : 'system',
          payload: toPayload(row, subscription),
        });
      }
    }
    await this.outbox.enqueue(manager, messages);
  }

  /** The outbox's handler: reads the subscription (no connection kept), signs this attempt, POSTs. */
  async deliver(message: OutboxDelivery): Promise<OutboxOutcome> {
    const target = await this.subscriptions.secretOf(this.dataSource.manager, message.destination);
    if (!target || !target.active) return { outcome: 'dead', error: 'webhook subscription disabled or gone' };
    let secret: string;
    try {
      secret = this.open(message.destination, target.secret_sealed, target.kek_id);
    } catch {
      return { outcome: 'dead', error: 'webhook secret cannot be opened with the configured key-encryption key' };
    }
    const body = JSON.stringify(message.payload);
    const timestamp = Math.floor(this.clock.now().getTime() / 1000);
    return postDelivery({
      vendor: 'webhook',
      url: target.url,
      contentType: 'application/json',
      body,
      headers: webhookHeaders(secret, message.id, timestamp, body),
      timeoutMs: this.config.outbox.deliveryTimeoutMs,
      nodeEnv: this.config.nodeEnv,
    });
  }

  private problems(input: WebhookSubscriptionInput): FieldError[] {
    const problems: FieldError[] = [];
    if (typeof input.name !== 'string' || input.name.trim().length === 0 || input.name.length > 100)
      problems.push({ field: 'name', messages: ['name must be 1 to 100 characters'] });
    const urlProblem =
      typeof input.url !== 'string' || input.url.length > 2000
        ? 'is not an absolute URL'
        : deliveryUrlProblem(input.url, this.config.nodeEnv);
    if (urlProblem) problems.push({ field: 'url', messages: [`url ${urlProblem}`] });
    if (!Array.isArray(input.eventTypes) || input.eventTypes.length === 0)
      problems.push({ field: 'eventTypes', messages: ['eventTypes must list at least one event type (or "*")'] });
    else {
      const unknown = input.eventTypes.filter((type) => type !== ALL_EVENTS && !EVENT_TYPES.has(type));
      if (unknown.length > 0)
        problems.push({
          field: 'eventTypes',
          messages: [`unknown event types: ${unknown.slice(0, 5).join(', ')} (see docs/audit-events.md)`],
        });
    }
    return problems;
  }

  /** The subscription id is the seal's associated data: a sealed secret copied to another row does not open. */
  private seal(id: string, secret: string): Buffer {
    return seal(this.kek.key, Buffer.from(secret), `webhook_subscriptions:${id}`);
  }

  private open(id: string, sealed: Buffer, kekId: string): string {
    const key = kekId === this.kek.id ? this.kek.key : this.kek.previous?.id === kekId ? this.kek.previous.key : null;
    if (!key) throw new Error('sealed with an unknown key-encryption key');
    return open(key, sealed, `webhook_subscriptions:${id}`).toString();
  }

  private async record(
    manager: EntityManager,
    type:
      | typeof AUDIT_EVENT_TYPES.WEBHOOK_SUBSCRIPTION_CREATED
      | typeof AUDIT_EVENT_TYPES.WEBHOOK_SUBSCRIPTION_DISABLED
      | typeof AUDIT_EVENT_TYPES.WEBHOOK_SECRET_ROTATED,
    actor: WebhookActor,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.audit.record(manager, { type, outcome: 'SUCCESS', actor, details });
  }
}

/**
 * The delivered body (Standard Webhooks' `type`, `timestamp`, `data`): pseudonymous ids always; the CUPID (also
 * as a customer actor's id), network origin and details only when the subscription is allowed them.
 */
function toPayload(row: ChainedAuditRow, subscription: WebhookSubscriptionRow): Record<string, unknown> {
  const hideActor = row.actor_type === 'CUSTOMER' && !subscription.include_cupid;
  return {
    type: row.event_type,
    timestamp: row.created_at.toISOString(),
    data: {
      id: row.id,
      seq: row.seq,
      outcome: row.outcome,
      actor: { type: row.actor_type, id: hideActor ? null : row.actor_id },
      ...(subscription.include_cupid ? { cupid: row.cupid } : {}),
      sessionId: row.session_id,
      contextId: row.context_id,
      clientId: row.client_id,
      ...(subscription.include_network ? { ip: row.ip_address, userAgent: row.user_agent } : {}),
      ...(subscription.include_details ? { details: boundedDetails(row.details) } : {}),
    },
  };
}

/** The outbox takes payloads up to 64 KiB: oversized details (never expected) go as a marker, not a stuck chain. */
function boundedDetails(details: Record<string, unknown>): Record<string, unknown> {
  return Buffer.byteLength(JSON.stringify(details)) > 32 * 1024 ? { truncated: true } : details;
}
