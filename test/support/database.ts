import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/config';
import { dataSourceOptions } from '../../src/database/data-source-options';

const TEMPLATE = 'ciam_template';
const TEMPLATE_LOCK = 7_340_001;

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.TEST_PG_ADMIN_URL;
  if (!url) throw new Error('TEST_PG_ADMIN_URL is unset: run the tests through jest (globalSetup starts PostgreSQL)');
  return url;
}

export function databaseUrl(name: string): string {
  return adminUrl().replace(/\/[^/]*$/, `/${name}`);
}

async function withAdmin<T>(work: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/** An empty database (no migrations), for tests of the migrations themselves. */
export async function createEmptyDatabase(): Promise<TestDatabase> {
  const name = `ciam_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${name}`));
  return { name, url: databaseUrl(name), drop: () => dropDatabase(name) };
}

/**
 * A fresh, fully migrated database for one spec file: the first caller of the run migrates a template
 * (under an advisory lock, since jest workers race here); every caller clones it, which takes
 * milliseconds.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `ciam_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(async (admin) => {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [TEMPLATE]);
      if (exists.rowCount === 0) await migrateTemplate(admin);
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`);
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
    }
  });
  return { name, url: databaseUrl(name), drop: () => dropDatabase(name) };
}

async function migrateTemplate(admin: Client): Promise<void> {
  const building = `${TEMPLATE}_build`;
  await admin.query(`DROP DATABASE IF EXISTS ${building}`);
  await admin.query(`CREATE DATABASE ${building}`);
  const dataSource = new DataSource(dataSourceOptions(loadConfig({ NODE_ENV: 'test' }), databaseUrl(building)));
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
  await admin.query(`ALTER DATABASE ${building} RENAME TO ${TEMPLATE}`);
}

async function dropDatabase(name: string): Promise<void> {
  await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** A TypeORM data source on a test database, for specs that work below the HTTP layer. */
export async function openDataSource(url: string): Promise<DataSource> {
  const dataSource = new DataSource({
    ...dataSourceOptions(loadConfig({ NODE_ENV: 'test' }), url),
    migrationsRun: false,
  });
  return dataSource.initialize();
}

/**
 * A migrated database and a data source on it for the specs of one describe block: created before
 * them, dropped after. The returned object is filled in by beforeAll.
 */
export function useSpecDatabase(): { database: TestDatabase; db: DataSource } {
  const spec = {} as { database: TestDatabase; db: DataSource };
  beforeAll(async () => {
    spec.database = await createTestDatabase();
    spec.db = await openDataSource(spec.database.url);
  });
  afterAll(async () => {
    await spec.db?.destroy();
    await spec.database?.drop();
  });
  return spec;
}
