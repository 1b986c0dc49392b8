import { EventEmitter } from 'node:events';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { asDatabaseUnavailable, DatabaseUnavailableError } from '../../database/database-unavailable';

const CHANNEL = 'ciam_push_decisions';

/**
 * Wakes long-polling frontends when a device answers a push, on any instance: the answer is followed by
 * NOTIFY, and each instance LISTENs on one connection of its own. A waiting request holds no database
 * connection and burns no CPU; it wakes on the notification or at its deadline. Opening the listening
 * connection is bounded by DATABASE_CONNECT_TIMEOUT_MS; a failed open is forgotten, so the next poll tries
 * again instead of every later poll failing on one cached rejection.
 */
@Injectable()
export class PushDecisions implements OnModuleDestroy {
  private readonly logger = new Logger(PushDecisions.name);
  private readonly events = new EventEmitter().setMaxListeners(0);
  private listener?: Promise<Client>;
  private current?: Client;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Announces (inside the answer's transaction, so only committed answers wake anyone). */
  async announce(
    manager: { query(sql: string, parameters?: unknown[]): Promise<unknown> },
    pushChallengeId: string,
  ): Promise<void> {
    await manager.query('SELECT pg_notify($1, $2)', [CHANNEL, pushChallengeId]);
  }

  /**
   * Resolves when the challenge is answered (anywhere) or after `ms`. Throws DatabaseUnavailableError
   * (503, retry) when the listening connection cannot be opened: without it no answer could wake the wait.
   */
  async waitFor(pushChallengeId: string, ms: number): Promise<void> {
    try {
      await this.listen();
    } catch (error) {
      // Opening the listener is only a connect and a LISTEN: whatever stops it (refused, hung past the
      // connect timeout, which pg reports as a bare "timeout expired") leaves the wait unable to wake.
      throw asDatabaseUnavailable(error) ?? new DatabaseUnavailableError('push listener could not connect', error);
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.events.off(pushChallengeId, done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.events.once(pushChallengeId, done);
    });
  }

  private listen(): Promise<Client> {
    if (this.listener) return this.listener;
    const listener = this.openListener();
    this.listener = listener;
    // A rejected connect is not kept: the next wait opens a new connection.
    void listener.catch(() => {
      if (this.listener === listener) this.listener = undefined;
    });
    return listener;
  }

  private async openListener(): Promise<Client> {
    const options = this.dataSource.options as { url?: string };
    const client = new Client({
      connectionString: options.url,
      application_name: 'ciam-push-listener',
      connectionTimeoutMillis: this.config.database.connectTimeoutMs,
    });
    client.on('notification', (message) => message.payload && this.events.emit(message.payload));
    client.on('error', (error) => {
      this.logger.warn(`push listener lost its connection: ${error.message}`);
      this.forget(client);
    });
    client.on('end', () => this.forget(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.current = client;
    return client;
  }

  /** The connection is gone: the next wait opens a new one (waits in progress end at their deadline). */
  private forget(client: Client): void {
    if (this.current !== client) return;
    this.current = undefined;
    this.listener = undefined;
  }

  async onModuleDestroy(): Promise<void> {
    const client = await this.listener?.catch(() => undefined);
    await client?.end().catch(() => undefined);
  }
}
