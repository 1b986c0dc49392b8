import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * docs/architecture.md, "Module walls": tokens depend on sessions, never the reverse. A session's end reaches its
 * tokens through data (every token use checks its session), and the self-service API checks its bearer
 * tokens through the CustomerTokenVerifier port, so nothing under src/sessions imports src/tokens.
 */
describe('module walls: src/sessions', () => {
  const root = join(__dirname);
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
    });

  it('imports nothing from src/tokens', () => {
    const offenders = files(root)
      .filter((file) => /from '(\.\.\/)+tokens\//.test(readFileSync(file, 'utf8')))
      .map((file) => file.slice(root.length + 1));
    expect(offenders).toEqual([]);
  });
});
