import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HttpStatus } from '@nestjs/common';
import { PROBLEM_CATALOGUE } from './problem-catalogue';

/** Every `new ApiError(status, 'CODE', 'Title', ...)` (or `super(...)` of a subclass) in src/. */
function raisedProblems(): Array<{ file: string; status: number; code: string; title: string }> {
  const found: Array<{ file: string; status: number; code: string; title: string }> = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts') && !path.endsWith('.spec.ts')) {
        const source = readFileSync(path, 'utf8');
        for (const match of source.matchAll(/(HttpStatus\.([A-Z_]+)|\b([45]\d\d)),\s*'([A-Z_]+)',\s*'([^']+)'/g)) {
          const status = match[2] ? (HttpStatus as unknown as Record<string, number>)[match[2]] : Number(match[3]);
          found.push({ file: path, status, code: match[4], title: match[5] });
        }
      }
    }
  };
  walk(join(__dirname, '..'));
  return found;
}

describe('the problem catalogue', () => {
  const raised = raisedProblems();

  it('finds the problems the code raises (the scan itself works)', () => {
    expect(raised.map((problem) => problem.code)).toEqual(expect.arrayContaining(['OTP_INVALID', 'NOT_READY']));
  });

  it('lists every problem code the code raises, with the status and title it is raised with', () => {
    for (const { file, status, code, title } of raised) {
      const entry = (PROBLEM_CATALOGUE as Record<string, { status: number; title: string }>)[code];
      expect({ file, code, status: entry?.status, title: entry?.title }).toEqual({ file, code, status, title });
    }
  });

  it('lists nothing the code never raises', () => {
    const codes = new Set(raised.map((problem) => problem.code));
    expect(Object.keys(PROBLEM_CATALOGUE).filter((code) => !codes.has(code))).toEqual([]);
  });
});
