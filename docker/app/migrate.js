'use strict';
/*
 * The compose stack's one-shot migration step, in the production image (compiled code only, no ts-node):
 * applies pending migrations on DATABASE_URL, which names the schema OWNER role, then exits. The serving
 * app connects as the least-privileged role with DATABASE_MIGRATIONS_RUN=false (docker/postgres/README.md).
 */
require('reflect-metadata');
const { DataSource } = require('typeorm');
const { loadConfig } = require('./dist/src/config/config');
const { dataSourceOptions } = require('./dist/src/database/data-source-options');

async function main() {
  const config = loadConfig();
  if (!config.database.url) throw new Error('DATABASE_URL is required');
  const dataSource = new DataSource({ ...dataSourceOptions(config, config.database.url), migrationsRun: false });
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    console.log(
      applied.length ? `applied: ${applied.map((migration) => migration.name).join(', ')}` : 'no pending migrations',
    );
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
