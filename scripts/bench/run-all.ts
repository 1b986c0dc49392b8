/**
 * npm run bench: seed (or reuse) the benchmark database, run the query and the HTTP benchmarks, and
 * write bench-results/results.json and bench-results/results.md. Times, never pass/fail: the numbers are
 * for docs/performance.md, and `npm test` holds no timing assertion.
 */
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { openBenchDatabase } from './bench-db';
import { benchHttp, httpTable } from './http';
import { benchQueries, queriesTable } from './queries';
import { SCALE, seed } from './seed';

(async () => {
  const started = Date.now();
  const db = await openBenchDatabase(console.log);
  try {
    const seeding = await seed(db.dataSource, console.log);
    const [{ version }] = await db.dataSource.query('SELECT version()');
    const queries = await benchQueries(db.dataSource);
    const http = await benchHttp(db.dataSource, db.url);
    const result = {
      at: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpu: cpus()[0]?.model,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        postgres: version,
      },
      scale: SCALE,
      seed: seeding,
      queries,
      http,
      totalSeconds: Math.round((Date.now() - started) / 1000),
    };
    mkdirSync('bench-results', { recursive: true });
    writeFileSync('bench-results/results.json', `${JSON.stringify(result, null, 2)}\n`);
    const markdown = [
      `# Benchmark ${result.at}`,
      '',
      `${result.machine.cpus} cores (${result.machine.cpu}), ${result.machine.memoryGiB} GiB, Node ${result.machine.node}, ${version.split(',')[0]}.`,
      `Seeded: ${SCALE.sessions.toLocaleString('en')} sessions, ${(SCALE.sessions * 3).toLocaleString('en')} tokens, ${SCALE.contexts.toLocaleString('en')} journeys, ` +
        `${(SCALE.contexts * SCALE.transactionsPerContext).toLocaleString('en')} steps, ${SCALE.auditRows.toLocaleString('en')} audit events ` +
        `(${seeding.reused ? 'reused' : `${seeding.seconds} s`}). Total run: ${result.totalSeconds} s.`,
      '',
      '## Queries',
      '',
      queriesTable(queries),
      '',
      '## HTTP',
      '',
      httpTable(http),
      '',
      '## Plans',
      '',
      ...queries.flatMap((query) => [`### ${query.name}`, '', '```', query.plan, '```', '']),
    ].join('\n');
    writeFileSync('bench-results/results.md', markdown);
    console.log(
      `\n${queriesTable(queries)}\n\n${httpTable(http)}\n\nwritten: bench-results/results.json, bench-results/results.md (${result.totalSeconds} s)`,
    );
    if (http.some((scenario) => scenario.errors > 0)) process.exitCode = 1;
  } finally {
    await db.stop();
  }
})().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
