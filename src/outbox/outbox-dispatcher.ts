import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { retryDelayMs } from './backoff';
import { OutboxMetrics } from './outbox-metrics';
import { ClaimedMessage, OutboxRepository, OutboxState } from './outbox.repository';
import { OutboxOutcome, OutboxService } from './outbox.service';

/** The channel the outbox_messages insert trigger notifies on (migration OutboxMessages), when the enqueue commits. */
export const OUTBOX_CHANNEL = 'ciam_outbox';

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30_000;
const MAX_ERROR_LENGTH = 500;

type Decision = { state: OutboxState; nextAttemptAt: Date | null; error: string | null; reason?: string };

/**
 * Delivers the outbox on every instance where OUTBOX_DELIVERY_ENABLED: wakes on NOTIFY (an enqueue committed)
 * and every OUTBOX_POLL_INTERVAL_MS (retries that came due, a lost notification), claims a batch in one short
 * statement (a lease, SKIP LOCKED: no two instances hold one message), then calls each message's handler with
 * NO database connection held, and records the outcome (with its audit event) in one more statement.
 *
 * At least once: a crash between a receiver's answer and the recording of it leaves the lease to expire, and
 * the message is delivered again; receivers dedupe on the message's id (or the jti it carries).
 */
@Injectable()
export class OutboxDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxDispatcher.name);
  private stopping = false;
  private started = false;
  private pass?: Promise<void>;
  private again = false;
  private timer?: NodeJS.Timeout;
  private listener?: Client;
  private reconnectDelayMs = RECONNECT_MIN_MS;
  private reconnectTimer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly repository: OutboxRepository,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly metrics: OutboxMetrics,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.outbox.deliveryEnabled) return;
    this.started = true;
    this.connect();
    this.wake();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    clearTimeout(this.reconnectTimer);
    // The deliveries in flight finish and record their outcome before the pool closes.
    await this.pass;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
  }

  /** Runs a pass now (or right after the one running): a NOTIFY arrived, or a test wants delivery at once. */
  wake(): void {
    if (this.stopping) return;
    if (this.pass) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.pass = this.deliverDue()
      .then(
        () => undefined,
        (error: unknown) => this.logger.error({ err: error }, 'outbox pass failed; trying again at the next poll'),
      )
      .finally(() => {
        this.pass = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        } else this.schedule();
      });
  }

  /**
   * One pass: claims and delivers batches of due messages until a batch comes back short. Returns how many
   * messages it handled (whatever their outcome). Public for the CLI and tests; the schedule calls it too.
   */
  async deliverDue(): Promise<number> {
    const channels = this.outbox.channels();
    let total = 0;
    while (channels.length > 0 && !this.stopping) {
      const lease = randomUUID();
      const claimed = await this.repository.claim(this.dataSource.manager, {
        channels,
        limit: this.config.outbox.batchSize,
        leaseSeconds: this.config.outbox.leaseSeconds,
        now: this.clock.now(),
        lease,
      });
      // The claim's statement has committed and its connection is back in the pool: deliveries hold none.
      await Promise.all(claimed.map((message) => this.deliver(message, lease)));
      total += claimed.length;
      if (claimed.length < this.config.outbox.batchSize) break;
    }
    return total;
  }

  private async deliver(message: ClaimedMessage, lease: string): Promise<void> {
    const outcome = await this.callHandler(message);
    const decision = this.decide(message, outcome);
    const details: Record<string, unknown> = {
      messageId: message.id,
      channel: message.channel,
      destination: message.destination,
      attempt: message.attempts,
    };
    if (decision.error) details.error = decision.error;
    if (decision.nextAttemptAt) details.nextAttemptAt = decision.nextAttemptAt.toISOString();
    if (decision.reason) details.reason = decision.reason;
    const type =
      decision.state === 'DELIVERED'
        ? AUDIT_EVENT_TYPES.OUTBOX_DELIVERED
        : decision.state === 'DEAD'
          ? AUDIT_EVENT_TYPES.OUTBOX_DEAD_LETTERED
          : AUDIT_EVENT_TYPES.OUTBOX_DELIVERY_FAILED;
    const audited =
      decision.state !== 'DELIVERED' || this.outbox.handlerOptions(message.channel).auditDelivered !== false;
    try {
      const recorded = await this.repository.recordOutcome(
        this.dataSource.manager,
        { id: message.id, lease, ...decision, now: this.clock.now() },
        audited
          ? (firstParam, when) =>
              this.audit.fragment(
                [
                  {
                    type,
                    outcome: decision.state === 'DELIVERED' ? 'SUCCESS' : 'FAILURE',
                    actor: { type: 'SYSTEM', id: 'outbox' },
                    details,
                  },
                ],
                firstParam,
                { when },
              )
          : null,
      );
      if (!recorded)
        this.logger.warn(
          { messageId: message.id, channel: message.channel },
          'outbox outcome not recorded: the lease expired and the message was claimed again',
        );
    } catch (error) {
      // The lease expires and another pass delivers it again (at least once).
      this.logger.error({ err: error, messageId: message.id }, 'outbox outcome could not be recorded');
    }
    const label = decision.state === 'DELIVERED' ? 'delivered' : decision.state === 'DEAD' ? 'dead' : 'retry';
    this.metrics.deliveries.inc({ channel: message.channel, outcome: label });
    if (decision.state !== 'DELIVERED')
      this.logger.warn(
        { messageId: message.id, channel: message.channel, attempt: message.attempts, error: decision.error },
        decision.state === 'DEAD' ? 'outbox message dead-lettered' : 'outbox delivery failed; will retry',
      );
  }

  /** The handler's outcome; a throw, or no answer within half the lease (so the lease cannot run out), is a retry. */
  private async callHandler(message: ClaimedMessage): Promise<OutboxOutcome> {
    const handler = this.outbox.handler(message.channel);
    if (!handler) return { outcome: 'retry', error: 'no handler for this channel in this instance' };
    const end = this.metrics.deliveryDuration.startTimer({ channel: message.channel });
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        handler({
          id: message.id,
          destination: message.destination,
          orderingKey: message.orderingKey,
          payload: message.payload,
          attempts: message.attempts,
          createdAt: message.createdAt,
        }),
        new Promise<OutboxOutcome>((resolve) => {
          timer = setTimeout(
            () => resolve({ outcome: 'retry', error: 'handler did not finish within half the lease' }),
            (this.config.outbox.leaseSeconds * 1000) / 2,
          );
        }),
      ]);
    } catch (error) {
      return { outcome: 'retry', error: (error as Error).message ?? 'handler failed' };
    } finally {
      clearTimeout(timer);
      end();
    }
  }

  private decide(message: ClaimedMessage, outcome: OutboxOutcome): Decision {
    if (outcome.outcome === 'delivered') return { state: 'DELIVERED', nextAttemptAt: null, error: null };
    const error = cleanError(outcome.error);
    if (outcome.outcome === 'dead') return { state: 'DEAD', nextAttemptAt: null, error, reason: 'refused' };
    const { maxAttempts, maxAgeSeconds, backoffBaseMs, backoffMaxMs } = this.config.outbox;
    if (message.attempts >= maxAttempts) return { state: 'DEAD', nextAttemptAt: null, error, reason: 'max_attempts' };
    const now = this.clock.now();
    if (now.getTime() - message.createdAt.getTime() >= maxAgeSeconds * 1000)
      return { state: 'DEAD', nextAttemptAt: null, error, reason: 'max_age' };
    const nextAttemptAt = new Date(now.getTime() + retryDelayMs(message.attempts, backoffBaseMs, backoffMaxMs));
    return { state: 'PENDING', nextAttemptAt, error };
  }

  private schedule(): void {
    if (this.stopping || !this.started) return;
    this.timer = setTimeout(() => this.wake(), this.config.outbox.pollIntervalMs);
    this.timer.unref();
  }

  /** LISTEN for enqueues, so delivery starts when the enqueueing transaction commits; polling covers its absence. */
  private connect(): void {
    if (this.stopping) return;
    const options = this.dataSource.options as { url?: string };
    const client = new Client({
      connectionString: options.url,
      application_name: 'ciam-outbox',
      connectionTimeoutMillis: this.config.database.connectTimeoutMs,
    });
    client.on('notification', () => this.wake());
    client.on('error', (error) => this.lost(client, error.message));
    client.on('end', () => this.lost(client, 'connection ended'));
    client
      .connect()
      .then(() => client.query(`LISTEN ${OUTBOX_CHANNEL}`))
      .then(
        () => {
          if (this.stopping) {
            void client.end().catch(() => undefined);
            return;
          }
          this.listener = client;
          this.reconnectDelayMs = RECONNECT_MIN_MS;
          // Whatever was enqueued before LISTEN took effect was not announced to this connection.
          this.wake();
        },
        (error: Error) => {
          void client.end().catch(() => undefined);
          this.logger.warn(`outbox listener could not connect: ${error.message}; polling only`);
          this.scheduleReconnect();
        },
      );
  }

  private lost(client: Client, reason: string): void {
    if (this.listener !== client) return;
    this.listener = undefined;
    if (this.stopping) return;
    this.logger.warn(`outbox listener lost its connection (${reason}); polling only until it is back`);
    void client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopping || this.reconnectTimer) return;
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, RECONNECT_MAX_MS);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }
}

/** An error for the row, the log and the audit event: one line, bounded (handlers never put secrets in it). */
function cleanError(error: string): string {
  // eslint-disable-next-line no-control-regex
  return (error || 'failed').replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, MAX_ERROR_LENGTH);
}
