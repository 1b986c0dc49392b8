import { EventEmitter } from 'node:events';
import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';

const CHANNEL = 'ciam_push_decisions';

/**
 * Wakes long-polling frontends when a device answers a push, on any instance: the answer is followed by
 * NOTIFY, and each instance LISTENs on one connection of its own. A waiting request holds no database
 * connection and burns no CPU; it wakes on the notification or at its deadline.
 */
@Injectable()
export class PushDecisions implements OnModuleDestroy {
  private readonly logger = new Logger(PushDecisions.name);
  private readonly events = new EventEmitter().setMaxListeners(0);
  private listener?: Promise<Client>;

  constructor(private readonly dataSource: DataSource) {}

  /** Announces (inside the answer's transaction, so only committed answers wake anyone). */
  async announce(
    manager: { query(sql: string, parameters?: unknown[]): Promise<unknown> },
    pushChallengeId: string,
  ): Promise<void> {
    await manager.query('SELECT pg_notify($1, $2)', [CHANNEL, pushChallengeId]);
  }

  /** Resolves when the challenge is answered (anywhere) or after `ms`. */
  async waitFor(pushChallengeId: string, ms: number): Promise<void> {
    await this.listen();
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
    this.listener ??= (async () => {
      const options = this.dataSource.options as { url?: string };
      const client = new Client({ connectionString: options.url, application_name: 'ciam-push-listener' });
      client.on('notification', (message) => message.payload && this.events.emit(message.payload));
      client.on('error', (error) => {
        this.logger.warn(`push listener lost its connection: ${error.message}`);
        this.listener = undefined;
      });
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      return client;
    })();
    return this.listener;
  }

  async onModuleDestroy(): Promise<void> {
    const client = await this.listener?.catch(() => undefined);
    await client?.end().catch(() => undefined);
  }
}
