import { randomUUID } from 'node:crypto';
import { createServer, Server, Socket } from 'node:net';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../../src/config/config';
import { DatabaseUnavailableError } from '../../src/database/database-unavailable';
import { PushDecisions } from '../../src/mfa/push/push-decisions';

/**
 * The long-poll's listening connection (LISTEN/NOTIFY) against a real PostgreSQL: opening it is bounded,
 * and a failed open is not remembered, so once the database answers again the next wait works.
 */
describe('PushDecisions: the push long-poll listener', () => {
  const realUrl = process.env.TEST_PG_ADMIN_URL!;
  let silent: Server;
  const sockets: Socket[] = [];
  let silentUrl: string;
  const options: { url?: string } = {};
  let decisions: PushDecisions;

  beforeAll(async () => {
    // Accepts TCP connections and never says a word: a database host that hangs.
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    silentUrl = `postgres://nobody:nothing@127.0.0.1:${port}/ciam`;
    const config = { database: { connectTimeoutMs: 300 } } as AppConfig;
    decisions = new PushDecisions({ options } as unknown as DataSource, config);
  });

  afterAll(async () => {
    await decisions.onModuleDestroy();
    sockets.forEach((socket) => socket.destroy());
    await new Promise((resolve) => silent.close(resolve));
  });

  it('a hung connect fails the wait with a 503-class error, and the next wait connects afresh and is woken by NOTIFY', async () => {
    options.url = silentUrl;
    const started = Date.now();
    await expect(decisions.waitFor(randomUUID(), 60_000)).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(Date.now() - started).toBeLessThan(10_000); // bounded by the connect timeout, not the 60 s wait

    // The database is reachable again: the rejected connect must not be served from a cache.
    options.url = realUrl;
    const pushChallengeId = randomUUID();
    let woken = false;
    const waiting = decisions.waitFor(pushChallengeId, 60_000).then(() => (woken = true));
    const notifier = new Client({ connectionString: realUrl });
    await notifier.connect();
    try {
      const woke = Date.now();
      // NOTIFY until the wait wakes: the first ones may come before LISTEN is in place.
      while (!woken && Date.now() - woke < 20_000) {
        await notifier.query('SELECT pg_notify($1, $2)', ['ciam_push_decisions', pushChallengeId]);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(woken).toBe(true); // woken by the notification, long before the 60 s deadline
      await waiting;
    } finally {
      await notifier.end();
    }
  });
});
