import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const catalogue = (locale: string) =>
  JSON.parse(readFileSync(join(root, 'web', 'login', `messages.${locale}.json`), 'utf8')) as Record<string, string>;
const sources = (folder: string): string[] =>
  readdirSync(join(root, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts'))
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'));

/** Problems the page never meets: answers of the device's own endpoint (/devices/push-challenges/...) and the agent API. */
const NOT_FOR_THE_PAGE = new Set([
  'PUSH_ALREADY_ANSWERED',
  'SIGNATURE_REJECTED',
  'WRONG_NUMBER',
  'FORBIDDEN',
  'UNAUTHENTICATED',
]);

/**
 * The login page's texts live in message catalogues only: every catalogue has the same keys, every key
 * the page asks for exists, and every problem the journey API can answer has its own message.
 */
describe('hosted login page: message catalogues', () => {
  const en = catalogue('en');
  const de = catalogue('de');

  it('every language has exactly the English keys, none empty', () => {
    expect(Object.keys(de).sort()).toEqual(Object.keys(en).sort());
    for (const [key, text] of [...Object.entries(en), ...Object.entries(de)])
      expect(`${key}: ${text.trim()}`).not.toBe(`${key}: `);
  });

  it('every key the page uses is in the catalogue', () => {
    // Every string literal shaped like a key of a catalogue namespace (t('…'), heading('…'), ternaries).
    const namespaces = new Set(Object.keys(en).map((key) => key.split('.')[0]));
    const used = sources('web/login')
      .flatMap((source) => [...source.matchAll(/'([a-z]+)\.([\w-]+)'/g)])
      .filter((match) => namespaces.has(match[1]))
      .map((match) => `${match[1]}.${match[2]}`);
    expect(used.length).toBeGreaterThan(40);
    expect(used.filter((key) => !(key in en))).toEqual([]);
  });

  it('every problem the journeys, factors and common errors can answer has a message of its own', () => {
    const codes = new Set(
      ['src/journeys', 'src/mfa', 'src/devices', 'src/esign', 'src/common'].flatMap((folder) =>
        sources(folder).flatMap((source) =>
          [...source.matchAll(/HttpStatus\.\w+,\s*'([A-Z_]+)'/g)].map((match) => match[1]),
        ),
      ),
    );
    expect(codes.size).toBeGreaterThan(25);
    const missing = [...codes]
      .filter((code) => !NOT_FOR_THE_PAGE.has(code))
      .map((code) => `problem.${code.toLowerCase().replace(/_/g, '-')}`)
      .filter((key) => !(key in en));
    expect(missing).toEqual([]);
  });
});
