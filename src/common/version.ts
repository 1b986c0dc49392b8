import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The service's version, read from its own package.json. The production image starts `node dist/...`
 * directly, so `npm_package_version` is unset there; a hard-coded fallback would make every start claim
 * the same version in the audit trail.
 */
export const SERVICE_VERSION: string = readPackageVersion();

function readPackageVersion(): string {
  // src/common (ts-node, jest) and dist/src/common (the build) both sit below the package root.
  for (const up of ['../..', '../../..']) {
    try {
      const pkg = JSON.parse(readFileSync(join(__dirname, up, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'ciam-backend' && pkg.version) return pkg.version;
    } catch {
      // not at this level; try the next
    }
  }
  throw new Error('package.json of ciam-backend not found beside the code: the version cannot be stated');
}
