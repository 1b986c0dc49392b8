import 'reflect-metadata';
import { Logger } from 'nestjs-pino';
import { createApp } from './app';
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
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.get(Logger).log(`received ${signal}, shutting down`, 'Bootstrap');
    await app.close();
    await embedded?.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.http.port, host: config.http.host });
  const where = `http://${config.http.host === '0.0.0.0' ? 'localhost' : config.http.host}:${config.http.port}`;
  app.get(Logger).log(`ciam-backend listening on ${where} (docs at ${where}/docs)`, 'Bootstrap');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
