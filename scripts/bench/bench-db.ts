import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { EmbeddedPostgresHandle, startEmbeddedPostgres } from '../../src/database/embedded-postgres';

export interface BenchDatabase {
  url: string;
  dataSource: DataSource;
  stop(): Promise<void>;
}

/**
 * The benchmark's database: BENCH_DATABASE_URL, or an embedded PostgreSQL under .data/bench-postgres
 * (kept between runs, so a seeded database can be reused) tuned for bulk loading on this machine.
 */
export async function openBenchDatabase(log: (line: string) => void): Promise<BenchDatabase> {
  let embedded: EmbeddedPostgresHandle | undefined;
  let url = process.env.BENCH_DATABASE_URL;
  if (!url) {
    embedded = await startEmbeddedPostgres({
      dataDir: '.data/bench-postgres',
      preferredPort: 5434,
      database: 'ciam_bench',
      postgresFlags: [
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'shared_buffers=2GB',
        '-c',
        'maintenance_work_mem=1GB',
        '-c',
        'work_mem=64MB',
        '-c',
        'max_wal_size=8GB',
        '-c',
        'checkpoint_timeout=30min',
        '-c',
        'max_connections=200',
        '-c',
        'effective_cache_size=12GB',
        '-c',
        'random_page_cost=1.1',
        // Statements per operation, counted by the server (scripts/bench/counters.ts).
        '-c',
        'shared_preload_libraries=pg_stat_statements',
        '-c',
        'pg_stat_statements.track_utility=on',
      ],
    });
    url = embedded.url;
    log(`embedded PostgreSQL for the benchmark at ${url.replace(/:[^:@/]+@/, ':***@')}`);
  }
  const dataSource = new DataSource({
    ...dataSourceOptions(loadConfig({ NODE_ENV: 'test' }), url),
    migrationsRun: false,
  });
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  return {
    url,
    dataSource,
    stop: async () => {
      await dataSource.destroy();
      await embedded?.stop();
    },
  };
}

/** A line that rewrites itself on a terminal and prints plainly otherwise. */
export function progress(line: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r${line.padEnd(100)}`);
  else process.stderr.write(`${line}\n`);
}
