/**
 * Writes openapi.yaml from the code (npm run openapi). The app is built in preview mode: controllers and
 * DTOs are read, nothing connects to a database. test/e2e/openapi.e2e-spec.ts fails when the committed
 * file differs from what this produces.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderOpenApiYaml } from '../test/support/openapi';

async function main(): Promise<void> {
  const yaml = await renderOpenApiYaml();
  writeFileSync(join(__dirname, '..', 'openapi.yaml'), yaml);
  process.stdout.write(`openapi.yaml written (${yaml.length} bytes)\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
