import { Writable } from 'node:stream';
import type { DynamicModule, Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app';
import { AppConfig, loadConfig } from '../../src/config/config';
import { firstFreePort } from '../../src/database/embedded-postgres';
import { TestClock } from './clock';
import { createTestDatabase, TestDatabase } from './database';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  clock: TestClock;
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
  /** Environment variables that depend on the port the app will listen on (e.g. a WebAuthn origin). */
  envForPort?: (port: number) => Record<string, string>;
  /** A database to share (several instances on one database); a fresh one when unset. */
  database?: TestDatabase;
  /** Extra modules, e.g. a test-only controller. */
  imports?: Array<Type | DynamicModule>;
  /** The clock the app uses; a TestClock unless given. */
  clock?: TestClock;
}

/** One key-encryption key for every test app, so several instances on one database share signing keys. */
export const TEST_KEY_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

/** Starts the real application, on a real socket, on a fresh PostgreSQL database. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const ownsDatabase = !options.database;
  // The issuer names the real port, so the port is chosen before the app starts.
  const port = await firstFreePort(0);
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: String(port),
    OIDC_ISSUER: `http://127.0.0.1:${port}`,
    KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
    ...options.env,
    ...options.envForPort?.(port),
  });
  const clock = options.clock ?? new TestClock();
  const chunks: string[] = [];
  const logDestination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const app = await createApp(config, {
    databaseUrl: database.url,
    logDestination,
    extraImports: options.imports,
    clock,
  });
  // Loopback unless a spec asks for another interface (HOST), e.g. to call the service as a neighbour would.
  await app.listen({ port: config.http.port, host: options.env?.HOST ?? '127.0.0.1' });
  const rawLogs = () => chunks.join('');
  return {
    app,
    config,
    clock,
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

/**
 * The app for the specs of one describe block: started before them (then `setup` runs, e.g. registering
 * clients), closed after, its clock reset after each spec. The returned object is filled in by beforeAll.
 */
export function useTestApp(options: TestAppOptions = {}, setup?: (t: TestApp) => Promise<void>): TestApp {
  const holder = {} as TestApp;
  beforeAll(async () => {
    Object.assign(holder, await startTestApp(options));
    await setup?.(holder);
  });
  afterAll(() => holder.close?.());
  afterEach(() => holder.clock?.reset());
  return holder;
}
