import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import type { OAuthClient } from './oauth-client.entity';

/** The channel ClientsRepository notifies on (in the transaction of the change) and every instance listens on. */
export const CLIENT_CHANGES_CHANNEL = 'ciam_client_changes';

/** Payloads: `changed:<client id>` (the row changed: read it again) or `failure:<client id>` (a failed authentication). */
export type ClientChangeKind = 'changed' | 'failure';

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30_000;
const MAX_ENTRIES = 10_000;

/**
 * Registered clients in this instance's memory, so that the token endpoints do not read oauth_clients on
 * every request (issue 14). Every change to a client is followed by NOTIFY in the change's own transaction
 * (ClientsRepository), and each instance LISTENs on a dedicated connection: a deactivation reaches every
 * instance the moment it commits. The cache answers only while that connection is up: before it is, after
 * it drops (until it is back, with backoff) and for a row read before the last notification, every lookup
 * goes to the database, because a change could have been missed. CLIENT_CACHE_TTL_SECONDS bounds an entry's
 * age all the same. Nothing is cached for an unknown or inactive client: those are always read.
 *
 * The same channel carries "this client just failed to authenticate": the client-lockout check (a read of
 * login_attempts) then runs for that client on every instance while its failures can still lock it, and is
 * skipped for a client with no recent failure.
 */
@Injectable()
export class ClientCache implements OnModuleDestroy {
  private readonly logger = new Logger(ClientCache.name);
  /**
   * `vetted`: the lockout standing was read since the entry was loaded (failures before it was cached were
   * never announced to it); `failuresUntil`: until when (clock ms) a recent failure requires the check.
   */
  private readonly entries = new Map<
    string,
    { client: OAuthClient; until: number; vetted: boolean; failuresUntil: number }
  >();
  /** Bumped by every notification and every (re)connect: a load that began before a bump is not kept. */
  private generation = 0;
  private listener?: Client;
  private connecting = false;
  private reconnectDelayMs = RECONNECT_MIN_MS;
  private reconnectTimer?: NodeJS.Timeout;
  private closed = false;
  private readonly ttlMs: number;
  private readonly recentFailureMs: number;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {
    this.ttlMs = config.oidc.clientCacheTtlSeconds * 1000;
    // A client's failures count in a window, and a lock they engage lasts lockSeconds from the last one.
    this.recentFailureMs = Math.max(config.lockout.ipWindowSeconds, config.lockout.lockSeconds) * 1000;
  }

  /** The cached active client, or undefined when it must be read (not cached, too old, or not listening). */
  get(clientId: string): OAuthClient | undefined {
    if (!this.listening()) return undefined;
    const entry = this.entries.get(clientId);
    if (!entry) return undefined;
    if (entry.until <= Date.now()) {
      this.entries.delete(clientId);
      return undefined;
    }
    return entry.client;
  }

  /**
   * Call before reading a client from the database; pass the answer to `put` with the row. Undefined when
   * the row must not be cached (no cache, or not listening: a change could go unseen). Opens the listening
   * connection on first use, so processes that never authenticate a client (the CLI) never open it.
   */
  beginLoad(): number | undefined {
    if (this.ttlMs === 0 || this.closed) return undefined;
    if (!this.listener) {
      this.connect();
      return undefined;
    }
    return this.generation;
  }

  /** Keeps an active client read after `beginLoad` returned `generation`, unless a change arrived meanwhile. */
  put(client: OAuthClient, generation: number | undefined): void {
    if (generation === undefined || generation !== this.generation || !this.listening()) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(client.clientId, { client, until: Date.now() + this.ttlMs, vetted: false, failuresUntil: 0 });
  }

  /** Forgets a client at once in this instance (its change's notification reaches the others). */
  invalidate(clientId: string): void {
    this.generation += 1;
    this.entries.delete(clientId);
  }

  /**
   * The client failed to authenticate (here or, through the notification, on another instance). Kept on
   * the cached entry only: a client not cached here is checked on every use anyway, so an unknown client id
   * an attacker makes up costs no memory.
   */
  markFailure(clientId: string, at = this.clock.now().getTime()): void {
    const entry = this.entries.get(clientId);
    if (entry) entry.failuresUntil = Math.max(entry.failuresUntil, at + this.recentFailureMs);
  }

  /** The lockout standing of a cached client was read (`lastFailureAt`: its counter's last failure, if any). */
  markVetted(clientId: string, lastFailureAt: Date | null): void {
    const entry = this.entries.get(clientId);
    if (!entry) return;
    entry.vetted = true;
    if (lastFailureAt) this.markFailure(clientId, lastFailureAt.getTime());
  }

  /**
   * True when the client-lockout check must run for this client: it failed recently, or this instance
   * cannot know (not listening, not cached, or cached but its standing not read since it was loaded: its
   * failures before this instance cached it were never announced to it).
   */
  needsLockoutCheck(clientId: string): boolean {
    const entry = this.listening() ? this.entries.get(clientId) : undefined;
    if (!entry || !entry.vetted) return true;
    return entry.failuresUntil > this.clock.now().getTime();
  }

  /** True while changes reach this instance, so the cache may answer (readiness detail, tests). */
  isListening(): boolean {
    return this.listening();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const listener = this.listener;
    this.listener = undefined;
    this.entries.clear();
    await listener?.end().catch(() => undefined);
  }

  private listening(): boolean {
    return this.listener !== undefined && !this.connecting;
  }

  private connect(): void {
    if (this.connecting || this.closed || this.reconnectTimer) return;
    this.connecting = true;
    void this.openListener().then(
      (client) => {
        this.connecting = false;
        if (this.closed) {
          void client.end().catch(() => undefined);
          return;
        }
        this.listener = client;
        this.reconnectDelayMs = RECONNECT_MIN_MS;
      },
      (error: Error) => {
        this.connecting = false;
        this.logger.warn(`client cache listener could not connect: ${error.message}; clients are read on each use`);
        this.scheduleReconnect();
      },
    );
  }

  private async openListener(): Promise<Client> {
    const options = this.dataSource.options as { url?: string };
    const client = new Client({
      connectionString: options.url,
      application_name: 'ciam-client-cache',
      connectionTimeoutMillis: this.config.database.connectTimeoutMs,
    });
    client.on('notification', (message) => this.onNotification(message.payload));
    client.on('error', (error) => this.lost(client, error.message));
    client.on('end', () => this.lost(client, 'connection ended'));
    try {
      await client.connect();
      await client.query(`LISTEN ${CLIENT_CHANGES_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    // Whatever changed before LISTEN took effect was not announced to this connection: start empty.
    this.generation += 1;
    this.entries.clear();
    return client;
  }

  private onNotification(payload: string | undefined): void {
    if (!payload) return;
    const colon = payload.indexOf(':');
    const kind = payload.slice(0, colon) as ClientChangeKind;
    const clientId = payload.slice(colon + 1);
    if (kind === 'failure') this.markFailure(clientId);
    else this.invalidate(clientId);
  }

  /** The listening connection is gone: serve nothing from memory until it is back. */
  private lost(client: Client, reason: string): void {
    if (this.listener !== client) return;
    this.listener = undefined;
    this.generation += 1;
    this.entries.clear();
    if (this.closed) return;
    this.logger.warn(`client cache listener lost its connection (${reason}); clients are read on each use`);
    void client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, RECONNECT_MAX_MS);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }
}
