import { rmSync } from 'node:fs';

export default async function globalTeardown() {
  await globalThis.__CIAM_TEST_PG__?.stop();
  if (globalThis.__CIAM_TEST_PG_DIR__) rmSync(globalThis.__CIAM_TEST_PG_DIR__, { recursive: true, force: true });
}
