import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

/**
 * The README and docs/*.md stand alone: every relative Markdown link resolves to a file or folder of this
 * repository, and none leaves it (a reader of a clone or an archive has nothing outside it). Links to the
 * web (https:, mailto:) and anchors within a page are not files and are left alone; an anchor after a
 * file (docs/architecture.md#jobs) must name a heading of that file.
 */
const root = resolve(__dirname, '..', '..');
const documents = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** Inline links and images `[text](target "title")` and reference definitions `[label]: target`, outside code. */
function markdownLinks(markdown: string): string[] {
  const prose = markdown
    .replace(/^```[\s\S]*?^```/gm, '')
    .replace(/`[^`\n]*`/g, (span) => (span.includes('](') ? '' : span));
  const inline = [...prose.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map(
    (match) => match[1],
  );
  const references = [...prose.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$/gm)].map((match) => match[1]);
  return [...inline, ...references];
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const headings = markdown.replace(/^```[\s\S]*?^```/gm, '').match(/^#{1,6} .+$/gm) ?? [];
  return new Set(
    headings.map((heading) =>
      heading
        .replace(/^#+ /, '')
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

describe('documentation links stay inside the repository', () => {
  it('finds the documents and their links (the check below is not vacuous)', () => {
    expect(documents).toEqual(expect.arrayContaining(['README.md', 'docs/architecture.md', 'docs/operations.md']));
    const readme = markdownLinks(readFileSync(join(root, 'README.md'), 'utf8'));
    expect(readme).toEqual(expect.arrayContaining(['docs/architecture.md', 'openapi.yaml']));
    expect(
      markdownLinks('see [a](../x/y.md), [b](<z.md> "t"), `[c](not-a-link.md)`, [d](#here)\n\n[e]: ../out.md\n'),
    ).toEqual(['../x/y.md', 'z.md', '#here', '../out.md']);
  });

  it.each(documents)('%s: every relative link resolves to a file inside the repository', (document) => {
    const markdown = readFileSync(join(root, document), 'utf8');
    const problems: string[] = [];
    for (const target of markdownLinks(markdown)) {
      if (isExternal(target)) continue;
      const [path, anchor] = target.split('#', 2) as [string, string | undefined];
      const file = path === '' ? join(root, document) : resolve(join(root, document, '..'), decodeURIComponent(path));
      const inside = relative(root, file);
      if (isAbsolute(path) || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
        problems.push(`${target}: points outside the repository`);
        continue;
      }
      if (!existsSync(file)) {
        problems.push(`${target}: no such file`);
        continue;
      }
      if (
        anchor &&
        file.endsWith('.md') &&
        statSync(file).isFile() &&
        !anchorsOf(readFileSync(file, 'utf8')).has(anchor.toLowerCase())
      ) {
        problems.push(`${target}: no heading #${anchor} in ${inside}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it.each(documents)('%s: names no design file outside the repository', (document) => {
    const markdown = readFileSync(join(root, document), 'utf8');
    expect(markdown).not.toMatch(/\.\.\/shared|shared\/design/);
  });
});
