import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * docs/scaling.md on Citus, checked against the code: every table the migrations create has a row in the
 * distribution table (a new table cannot be forgotten), and every hot query the page marks single-shard
 * filters by its table's distribution column in the repository's own SQL (so a change that makes it a
 * multi-shard statement fails here). The page is the registry; the repository files are read as text.
 */
const root = join(__dirname, '..', '..');
const page = readFileSync(join(root, 'docs', 'scaling.md'), 'utf8');

function section(title: string): string[] {
  const start = page.indexOf(`## ${title}`);
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = page.slice(start + title.length + 3);
  const end = rest.indexOf('\n## ');
  return (end < 0 ? rest : rest.slice(0, end)).split('\n').filter((line) => line.startsWith('| `'));
}

const cells = (line: string) => line.split(' | ').map((cell) => cell.replace(/^\| |\s*\|$/g, '').trim());
const code = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]);

/** Table → its distribution: customer or journey group (with the column), or reference. */
const distribution = new Map(
  section('Sharding by CUPID on Citus').map((line) => {
    const [table, group, column] = cells(line);
    return [code(table)[0], { group, column: code(column)[0] ?? null }];
  }),
);

interface HotQuery {
  file: string;
  method: string;
  tables: string[];
  singleShard: boolean;
  reason: string;
}

const hotQueries: HotQuery[] = section('Hot queries and their shards').map((line) => {
  const [file, method, tables, , shard] = cells(line);
  return {
    file: code(file)[0],
    method: code(method)[0],
    tables: code(tables),
    singleShard: shard.startsWith('yes'),
    reason: shard.replace(/^(yes|no)\b:?\s*/, ''),
  };
});

const tablesInMigrations = [
  ...new Set(
    readdirSync(join(root, 'migrations')).flatMap((file) =>
      [...readFileSync(join(root, 'migrations', file), 'utf8').matchAll(/CREATE TABLE (?:IF NOT EXISTS )?([a-z_]+)/g)]
        .map((match) => match[1])
        .filter((table) => table !== 'audit_logs_default'),
    ),
  ),
].sort();

/** A method's text in its class: from its signature to the next member at the same indentation. */
export function methodBody(source: string, method: string): string | null {
  const lines = source.split('\n');
  const start = lines.findIndex((line) => new RegExp(`^  (?:async )?${method}[<(]`).test(line));
  if (start < 0) return null;
  const member = /^ {2}(?:\/\*\*|(?:async |private |static |get )*\w+[<(])|^}/;
  const end = lines.findIndex((line, i) => i > start && member.test(line));
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/**
 * Whether the statement(s) in `body` filter by `column`: a SQL predicate (`column = `, `alias.column =`,
 * `column = ANY`, `column IN`) or a TypeORM `where` naming the entity property.
 */
export function filtersBy(body: string, column: string): boolean {
  const property = column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
  const sql = new RegExp(`(?:^|[^a-z_.])(?:[a-z]+\\.)?${column}\\s*(?:=|IN\\b)`, 'i');
  const typeorm = new RegExp(`(?:where|update|findOneBy|findOne|delete)\\s*[:(]\\s*\\{[^}]*\\b${property}\\b`);
  return sql.test(body) || typeorm.test(body);
}

describe('docs/scaling.md: the Citus layout and the hot queries it routes to one shard', () => {
  it('gives every table the migrations create a distribution (customer, journey or reference)', () => {
    expect(tablesInMigrations).toEqual(expect.arrayContaining(['sessions', 'tokens', 'auth_contexts']));
    expect(tablesInMigrations.filter((table) => !distribution.has(table))).toEqual([]);
    for (const [table, { group, column }] of distribution) {
      expect([table, tablesInMigrations.includes(table)]).toEqual([table, true]);
      expect([table, ['customer', 'journey', 'reference'].includes(group)]).toEqual([table, true]);
      if (group !== 'reference') expect([table, column]).toEqual([table, expect.stringMatching(/^[a-z_]+$/)]);
    }
  });

  it('reads the checker right: a predicate on the key passes, another column or a key only in a comment does not', () => {
    expect(filtersBy('`SELECT 1 FROM tokens t WHERE t.cupid = $1`', 'cupid')).toBe(true);
    expect(filtersBy('`... WHERE subject = ANY($1::text[])`', 'subject')).toBe(true);
    expect(filtersBy(".update({ id, status: 'PENDING' }, { cupid })", 'cupid')).toBe(false);
    expect(filtersBy('`SELECT 1 FROM tokens WHERE value_hash = $1` // cupid', 'cupid')).toBe(false);
    expect(filtersBy('getRepository(X).findOne({ where: { contextId } })', 'context_id')).toBe(true);
    expect(methodBody('class A {\n  async one() {\n    a;\n  }\n\n  two() {}\n}', 'one')).toBe(
      '  async one() {\n    a;\n  }\n',
    );
  });

  it('lists only hot queries that exist, each with a reason when it is not single-shard', () => {
    expect(hotQueries.length).toBeGreaterThanOrEqual(10);
    for (const query of hotQueries) {
      const body = methodBody(readFileSync(join(root, query.file), 'utf8'), query.method);
      expect([query.file, query.method, body !== null]).toEqual([query.file, query.method, true]);
      for (const table of query.tables)
        expect([query.method, table, distribution.has(table)]).toEqual([query.method, table, true]);
      if (!query.singleShard) expect([query.method, query.reason.length > 10]).toEqual([query.method, true]);
    }
  });

  it('finds the distribution column in every hot query marked single-shard', () => {
    const problems: string[] = [];
    for (const query of hotQueries.filter((q) => q.singleShard)) {
      const body = methodBody(readFileSync(join(root, query.file), 'utf8'), query.method) ?? '';
      for (const table of query.tables) {
        const { group, column } = distribution.get(table)!;
        if (group === 'reference' || !column) continue;
        if (!filtersBy(body, column)) problems.push(`${query.file} ${query.method}: no filter on ${table}.${column}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
