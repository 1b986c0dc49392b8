import { Writable } from 'node:stream';
import type { DynamicModule, Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app';
import { AppConfig, loadConfig } from '../../src/config/config';
import { createTestDatabase, TestDatabase } from './database';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  /** http://127.0.0.1:<port>: the app listens on a real socket and tests talk real HTTP to it. */
  baseUrl: string;
  dataSource: DataSource;
  database: TestDatabase;
  /** Every JSON log line the app wrote, parsed. */
  logLines(): Record<string, unknown>[];
  /** The raw log output, to assert that a secret never appears in it. */
  rawLogs(): string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Environment variables on top of the test defaults. */
  env?: Record<string, string>;
  /** A database to share (several instances on one database); a fresh one when unset. */
  database?: TestDatabase;
  /** Extra modules, e.g. a test-only controller. */
  imports?: Array<Type | DynamicModule>;
}

/** Starts the real application, on a real socket, on a fresh PostgreSQL database. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const ownsDatabase = !options.database;
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', ...options.env });
  const chunks: string[] = [];
  const logDestination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const app = await createApp(config, { databaseUrl: database.url, logDestination, extraImports: options.imports });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const rawLogs = () => chunks.join('');
  return {
    app,
    config,
    baseUrl: `http://127.0.0.1:${port}`,
    dataSource: app.get(DataSource),
    database,
    rawLogs,
    logLines: () =>
      rawLogs()
        .split('\n')
        .filter((line) => line.trim().length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    close: async () => {
      await app.close();
      if (ownsDatabase) await database.drop();
    },
  };
}
