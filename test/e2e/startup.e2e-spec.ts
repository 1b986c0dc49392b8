import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { compiled } from '../support/compiled';

const root = join(__dirname, '..', '..');

/** Start-up as an operator sees it: the real entry point, run as a process. */
describe('start-up', () => {
  it('stops with exit code 78 and a message naming each bad variable', () => {
    const result = spawnSync(process.execPath, [compiled('src/main')], {
      cwd: root,
      env: { ...process.env, PORT: 'http', LOG_LEVEL: 'chatty', DATABASE_URL: 'postgres://127.0.0.1:1/none' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('Invalid configuration');
    expect(result.stderr).toMatch(/PORT must be a whole number from 0 to 65535 \(got "http"\)/);
    expect(result.stderr).toMatch(/LOG_LEVEL must be one of/);
  });
});
