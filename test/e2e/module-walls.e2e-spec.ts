import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = join(__dirname, '..', '..');
const config = join(root, '.dependency-cruiser.cjs');
const depcruise = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
}

/**
 * Runs dependency-cruiser (the same CLI and rule set as `npm run depcheck`) on `src` under `cwd`; one line per
 * violation, "rule: from → to", sorted. A broken rule set fails here (no JSON), never passes quietly.
 */
function cruise(cwd: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [depcruise, 'src', '--config', config, '--output-type', 'json'],
      { cwd, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        try {
          const result = JSON.parse(stdout) as { summary: { violations: Violation[]; totalCruised: number } };
          if (result.summary.totalCruised === 0) throw new Error('nothing was cruised');
          resolve(result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort());
        } catch (parseError) {
          reject(new Error(`dependency-cruiser gave no result (${String(error ?? parseError)}): ${stderr}`));
        }
      },
    );
  });
}

/** A throwaway source tree: file path → content. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'module-walls-'));
  const all: Record<string, string> = {
    'tsconfig.json': JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true },
      include: ['src'],
    }),
    ...files,
  };
  for (const [path, content] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** The module walls (.dependency-cruiser.cjs; README, "Layout"). */
describe('module walls', () => {
  it('hold in src: no domain module imports an HTTP layer, no module imports one listed after it', async () => {
    expect(await cruise(root)).toEqual([]);
  }, 120_000);

  it('fail on each kind of breach, type-only imports included, and exempt only the exact registry pair', async () => {
    const dir = tree({
      'src/tokens/token.ts': 'export const token = 1;\n',
      'src/sessions/revoke.ts': "import { token } from '../tokens/token';\nexport const revoke = token;\n",
      'src/oauth/errors.ts': 'export const oauthError = 1;\n',
      'src/tokens/issue.ts': "import { oauthError } from '../oauth/errors';\nexport const issue = oauthError;\n",
      'src/journeys/context.ts': 'export interface Context { id: string }\n',
      'src/risk/evaluation.ts':
        "import type { Context } from '../journeys/context';\nexport type Evaluated = Context;\n",
      'src/sessions/session.ts': 'export const session = 1;\n',
      'src/sessions/session.entity.ts': 'export class Session {}\n',
      'src/audit/writer.ts': "import { session } from '../sessions/session';\nexport const writer = session;\n",
      'src/clients/client.ts': "import { session } from '../sessions/session';\nexport const client = session;\n",
      // The keys sit just above the platform: they may not reach into a domain (every module imports them).
      'src/keys/derived.ts': "import { token } from '../tokens/token';\nexport const derived = token;\n",
      // The breach that was exempt until issue 20 moved it to the composition root: no longer allowed.
      'src/jobs/job-runner.ts': 'export const runner = 1;\n',
      'src/audit/startup-audit.ts': "import { runner } from '../jobs/job-runner';\nexport const started = runner;\n",
      // The one exemption: the entity list may import entities, and nothing else of a module above it ...
      'src/database/entities.ts':
        "import { Session } from '../sessions/session.entity';\nimport { session } from '../sessions/session';\n" +
        'export const entities = [Session, session];\n',
      // ... and it is the file that is exempt, not its module: another database file may not.
      'src/database/data-source.ts':
        "import { Session } from '../sessions/session.entity';\nexport const dataSource = [Session];\n",
    });
    try {
      expect(await cruise(dir)).toEqual([
        'adapter-imports-journeys: src/risk/evaluation.ts → src/journeys/context.ts',
        'audit-is-a-sink: src/audit/startup-audit.ts → src/jobs/job-runner.ts',
        'audit-is-a-sink: src/audit/writer.ts → src/sessions/session.ts',
        'domain-imports-http-layer: src/tokens/issue.ts → src/oauth/errors.ts',
        'module-order-audit: src/audit/startup-audit.ts → src/jobs/job-runner.ts',
        'module-order-audit: src/audit/writer.ts → src/sessions/session.ts',
        'module-order-clients: src/clients/client.ts → src/sessions/session.ts',
        'module-order-keys: src/keys/derived.ts → src/tokens/token.ts',
        'module-order-platform: src/database/data-source.ts → src/sessions/session.entity.ts',
        'module-order-platform: src/database/entities.ts → src/sessions/session.ts',
        'module-order-risk: src/risk/evaluation.ts → src/journeys/context.ts',
        'module-order-sessions: src/sessions/revoke.ts → src/tokens/token.ts',
        'module-order-tokens: src/tokens/issue.ts → src/oauth/errors.ts',
        'sessions-import-tokens: src/sessions/revoke.ts → src/tokens/token.ts',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
