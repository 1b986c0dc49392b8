import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { renderOpenApiYaml } from '../support/openapi';

describe('openapi.yaml', () => {
  it('is what the code generates (run `npm run openapi` after changing a controller or DTO)', async () => {
    const committed = readFileSync(join(__dirname, '..', '..', 'openapi.yaml'), 'utf8');
    const generated = await renderOpenApiYaml();
    // Compare parsed documents first for a readable diff, then the text for byte-for-byte determinism.
    expect(load(committed)).toEqual(load(generated));
    expect(committed).toBe(generated);
  });
});
