import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JOB_NAMES } from '../../src/config/config';
import { useTestApp } from '../support/app';

const guide = readFileSync(join(__dirname, '..', '..', 'docs', 'operations.md'), 'utf8');
const blocks = (language: string) =>
  [...guide.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((match) => match[1].trim());

/** docs/operations.md says every command in it works as written: its SQL runs, its CLI commands exist. */
describe('docs/operations.md', () => {
  const t = useTestApp();

  it.each(blocks('sql').map((sql) => [sql.split('\n')[0], sql]))('runs: %s', async (_first, sql) => {
    await expect(t.dataSource.query(sql)).resolves.toBeDefined();
  });

  it('names only jobs and CLI commands that exist', () => {
    const shell = blocks('sh').join('\n');
    for (const [, job] of shell.matchAll(/jobs:run (\S+)/g)) expect(JOB_NAMES).toContain(job);
    for (const [, command] of shell.matchAll(/npm run cli -- (\S+)/g)) {
      expect([
        'clients:add',
        'clients:list',
        'clients:deactivate',
        'keys:rotate',
        'agent:token',
        'jobs:run',
        'jobs:status',
        'documents:publish',
        'keys:reseal',
        'clients:set-backchannel-logout',
        'outbox:list',
        'outbox:retry',
        'signals:add',
        'signals:list',
        'signals:deactivate',
        'federation:providers:add',
        'federation:providers:update',
        'federation:providers:list',
        'federation:providers:deactivate',
        'pseudonyms:status',
        'pseudonyms:add-version',
        'pseudonyms:migrate',
        'pseudonyms:rollback',
      ]).toContain(command);
    }
    for (const job of JOB_NAMES) expect(guide).toContain(`\`${job}\``);
  });
});
