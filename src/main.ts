// First: tracing (when on) must patch http and pg before anything loads them.
import { tracing } from './tracing';
import 'reflect-metadata';
import { Logger } from 'nestjs-pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp } from './app';
import { drainOf } from './common/graceful-drain';
import { ConfigError, loadConfig } from './config/config';
import { EmbeddedPostgresHandle, startEmbeddedPostgres } from './database/embedded-postgres';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }

  let embedded: EmbeddedPostgresHandle | undefined;
  let databaseUrl = config.database.url;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.database.embeddedDataDir,
      preferredPort: config.database.embeddedPort,
      database: 'ciam',
    });
    databaseUrl = embedded.url;
  }

  const app = await createApp(config, { databaseUrl });
  const logger = app.get(Logger);
  let stopping = false;
  /**
   * Graceful drain: new requests get 503 + Retry-After (the load balancer sees readiness fail and
   * moves traffic) for SHUTDOWN_DRAIN_NOTICE_MS, in-flight requests finish, then the HTTP server and
   * the pool close. Past SHUTDOWN_TIMEOUT_MS the process exits 1 whatever is left.
   */
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const { drainNoticeMs, timeoutMs } = config.shutdown;
    const drain = drainOf(app);
    logger.log(`received ${signal}: draining ${drain.requestsInFlight} request(s) in flight`, 'Bootstrap');
    const forced = setTimeout(() => {
      logger.error(
        `shutdown took longer than SHUTDOWN_TIMEOUT_MS (${timeoutMs} ms); exiting with ${drain.requestsInFlight} request(s) unfinished`,
        'Bootstrap',
      );
      process.exit(1);
    }, timeoutMs);
    drain.begin();
    // Ctrl-C at a terminal (SIGINT) has no load balancer to warn: only in-flight requests are waited for.
    await Promise.all([sleep(signal === 'SIGTERM' ? drainNoticeMs : 0), drain.settled(timeoutMs)]);
    await app.close();
    await embedded?.stop();
    await tracing?.shutdown();
    clearTimeout(forced);
    logger.log('shut down cleanly', 'Bootstrap');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.http.port, host: config.http.host });
  const where = `http://${config.http.host === '0.0.0.0' ? 'localhost' : config.http.host}:${config.http.port}`;
  logger.log(`ciam-backend listening on ${where} (docs at ${where}/docs)`, 'Bootstrap');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
