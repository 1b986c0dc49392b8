import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/**
 * A module of src/ as jest's globalSetup compiled it into test-dist/ (test/support/compile-src.mjs), e.g.
 * compiled('src/main'): specs that run the service or the CLI as a process start it with plain node, as
 * the image starts dist/, instead of paying a ts-node start (all of src/ type-stripped) per process.
 */
export function compiled(module: string): string {
  return join(root, 'test-dist', `${module}.js`);
}
