import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Rule 2 and "each table has one owning repository" (docs/architecture.md, "Module walls" and "Tables and their
 * owners"), checked on the source text, since dependency-cruiser sees imports, not SQL. The owners are read
 * from the architecture page's table, so the page and the code cannot drift apart: a write to a table from any
 * file but its owning repository fails here unless that row of the page names the file as a **known breach**.
 */
const root = join(__dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

const sources = new Map(sourceFiles('src').map((file) => [file, readFileSync(join(root, file), 'utf8')]));

/** The tables the migrations create (a partition such as audit_logs_default belongs to its parent). */
const tables = [
  ...new Set(
    readdirSync(join(root, 'migrations')).flatMap((file) =>
      [...readFileSync(join(root, 'migrations', file), 'utf8').matchAll(/CREATE TABLE (?:IF NOT EXISTS )?([a-z_]+)/g)]
        .map((match) => match[1])
        .filter((table) => table !== 'audit_logs_default'),
    ),
  ),
].sort();

/** "Tables and their owners": table → owning repository (the row's first path) and the row's third column. */
function ownersFromArchitecture(): Map<string, { owner: string; others: string }> {
  const page = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
  const section = page.slice(page.indexOf('## Tables and their owners'));
  const rows = new Map<string, { owner: string; others: string }>();
  for (const line of section.split('\n')) {
    const cells = line.split(' | ');
    if (!line.startsWith('| `') || cells.length < 3) continue;
    const owner = /`(src\/[^`]+\.repository\.ts)`/.exec(cells[1])?.[1];
    if (!owner) continue;
    for (const [, table] of cells[0].matchAll(/`([a-z_]+)`/g)) rows.set(table, { owner, others: cells[2] });
  }
  return rows;
}

const owners = ownersFromArchitecture();

/** The table a write statement names, with partitions folded into their parent table. */
function writtenTables(text: string): string[] {
  const found: string[] = [];
  for (const [, name] of text.matchAll(/\b(?:INSERT INTO|UPDATE|DELETE FROM|ALTER TABLE|TRUNCATE)\s+"?([a-z_]+)/g)) {
    const table = name.startsWith('audit_logs_') ? 'audit_logs' : name;
    if (tables.includes(table)) found.push(table);
  }
  return found;
}

/** The migrations' batch functions write their table; whoever calls one writes it. */
const FUNCTIONS: Record<string, string> = {
  cleanup_expired_transactions: 'auth_transactions',
  cleanup_expired_contexts: 'auth_contexts',
  cleanup_old_journeys: 'auth_contexts',
  cleanup_expired_sessions: 'sessions',
  cleanup_expired_tokens: 'tokens',
  create_audit_partition: 'audit_logs',
};

/**
 * Files outside repositories that may run statements, each for the reason given; none touches a table but the
 * known breach, which the architecture page lists too. Delete an entry with its fix (the list must be exact).
 */
const STATEMENTS_ALLOWED: Record<string, string> = {
  'src/database/sql.ts': 'the helpers every repository uses (rowsOf, poolRows)',
  'src/database/embedded-postgres.ts': 'CREATE DATABASE for the development server',
  'src/observability/health.controller.ts': 'SELECT 1 for readiness',
  'src/mfa/push/push-decisions.ts': 'pg_notify and LISTEN: no table',
  'src/clients/client-cache.ts': 'LISTEN on its own connection: no table',
  'src/outbox/outbox-dispatcher.ts': 'LISTEN on its own connection (wake-ups on enqueue): no table',
};

const STATEMENT = /\.query\(|\browsOf\b|\bpoolRows\b|\bgetRepository\b|\bcreateQueryBuilder\b/;

describe('one owning repository per table, SQL only in repositories', () => {
  it('reads an owner for every table the migrations create from docs/architecture.md', () => {
    expect(tables).toEqual(expect.arrayContaining(['audit_logs', 'login_attempts', 'sessions', 'tokens']));
    expect(tables.filter((table) => !owners.has(table))).toEqual([]);
    for (const [table, { owner }] of owners) expect([table, sources.has(owner)]).toEqual([table, true]);
  });

  it('finds writes to a table only in its owning repository, or in a known breach named by its row', () => {
    expect(writtenTables('UPDATE login_attempts SET x = 1; DELETE FROM audit_logs_default a; UPDATE and')).toEqual([
      'login_attempts',
      'audit_logs',
    ]);
    const problems: string[] = [];
    for (const [file, text] of sources) {
      const writes = [
        ...writtenTables(text),
        ...Object.entries(FUNCTIONS)
          .filter(([name]) => text.includes(`${name}(`))
          .map(([, table]) => table),
      ];
      for (const table of new Set(writes)) {
        const row = owners.get(table);
        if (!row || row.owner === file) continue;
        if (row.others.includes('**known breach**') && row.others.includes(`\`${file}\``)) continue;
        problems.push(`${file} writes ${table}, owned by ${row.owner}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('runs statements (query, rowsOf, getRepository, createQueryBuilder) only in repositories', () => {
    const outside = [...sources]
      .filter(([file, text]) => !file.endsWith('.repository.ts') && STATEMENT.test(text))
      .map(([file]) => file)
      .sort();
    expect(outside).toEqual(Object.keys(STATEMENTS_ALLOWED).sort());
  });
});
