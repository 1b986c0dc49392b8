import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { problemRows, stepMapRows } from '../support/contract-docs';

const ROOT = join(__dirname, '..', '..');

/** What `npm run client` writes: openapi-typescript's output, formatted as the repository formats it. */
function regenerate(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ciam-client-'));
  try {
    const out = join(dir, 'schema.d.ts');
    const generated = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'openapi-typescript', 'bin', 'cli.js'), 'openapi.yaml', '-o', out],
      { cwd: ROOT, encoding: 'utf8' },
    );
    if (generated.status !== 0) throw new Error(generated.stderr);
    const formatted = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--stdin-filepath', 'client/schema.d.ts'],
      { cwd: ROOT, encoding: 'utf8', input: readFileSync(out, 'utf8') },
    );
    if (formatted.status !== 0) throw new Error(formatted.stderr);
    return formatted.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the typed client (client/)', () => {
  it('is generated from the committed openapi.yaml (run `npm run client` after `npm run openapi`)', () => {
    expect(readFileSync(join(ROOT, 'client', 'schema.d.ts'), 'utf8')).toBe(regenerate());
  }, 60_000);
});

describe('docs/api-contract.md', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'api-contract.md'), 'utf8');

  it('maps every step and phase to the operations that answer it, as the code does', () => {
    for (const row of stepMapRows()) expect(doc).toContain(row);
  });

  it('lists every problem type of the catalogue as the code has it', () => {
    for (const row of problemRows()) expect(doc).toContain(row);
  });
});
