import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { TEST_KEY_ENCRYPTION_KEY, TestApp } from './app';
import { compiled } from './compiled';

const root = join(__dirname, '..', '..');

/** Runs the operator CLI (`npm run cli -- ...`, compiled) as a process against a test app's database. */
export function cli(t: TestApp, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [compiled('src/cli/main'), ...args], {
      cwd: root,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        DATABASE_URL: t.database.url,
        KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
        OIDC_ISSUER: t.config.oidc.issuer,
        AGENT_JWKS_URL: t.config.agents.jwksUrl,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
