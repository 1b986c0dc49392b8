// The specs that run the service's own processes (the operator CLI, the entry point) start them from a
// compiled copy of src/ and migrations/ in test-dist/ (git-ignored), as production starts dist/: a
// ts-node start type-strips all ~400 files on every command, which cost the suite minutes of worker time.
// jest's globalSetup calls compileSrc() once per run. swc compiles each file on its own (the tsconfig has
// isolatedModules), with the same options as jest's transform, in about a second; a file whose content has
// not changed since the last run is not compiled again. Type errors are `npm run typecheck`'s job.
import { transform, version as swcVersion } from '@swc/core';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { swcOptions } = require('./swc-options.cjs');

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * One level below the package root, like dist/: code that finds package.json from its own folder
 * (src/common/version.ts, src/hosted-ui/page-files.ts) finds it from here too.
 */
export const TEST_DIST = join(root, 'test-dist');

const MANIFEST = join(TEST_DIST, 'manifest.json');

// Node (>= 20.19) runs import() itself, as it does for ts-node and dist/; jest needs swc to rewrite it.
const base = swcOptions();
const options = { ...base, module: { ...base.module, ignoreDynamic: true }, sourceMaps: false };

function sha1(text) {
  return createHash('sha1').update(text).digest('hex');
}

function sources(folder) {
  return readdirSync(join(root, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.ts$/.test(entry.name) && !/\.(spec|d)\.ts$/.test(entry.name))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

function readManifest() {
  try {
    return JSON.parse(readFileSync(MANIFEST, 'utf8'));
  } catch {
    return { fingerprint: null, files: {} };
  }
}

/** Writes through a temporary file and a rename, so a concurrent jest run never reads half a file. */
function writeAtomically(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

const output = (file) => join(TEST_DIST, file.replace(/\.ts$/, '.js'));

/** Brings test-dist/ up to date with src/ and migrations/; returns how many files it compiled. */
export async function compileSrc() {
  const fingerprint = sha1(JSON.stringify([swcVersion, options]));
  const previous = readManifest();
  if (previous.fingerprint !== fingerprint) {
    rmSync(TEST_DIST, { recursive: true, force: true });
    previous.files = {};
  }
  const files = {};
  let compiled = 0;
  await Promise.all(
    [...sources('src'), ...sources('migrations')].map(async (file) => {
      const code = readFileSync(join(root, file), 'utf8');
      const hash = sha1(code);
      files[file] = hash;
      if (previous.files[file] === hash && existsSync(output(file))) return;
      const result = await transform(code, { ...options, filename: join(root, file) });
      writeAtomically(output(file), result.code);
      compiled += 1;
    }),
  );
  // A source deleted (or renamed) since the last run must not stay importable from the copy.
  for (const file of Object.keys(previous.files)) {
    if (!(file in files)) rmSync(output(file), { force: true });
  }
  writeAtomically(MANIFEST, JSON.stringify({ fingerprint, files }));
  return compiled;
}
