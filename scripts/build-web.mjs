// Builds the browser code under web/ (hosted login page, agent console) into web/dist/: one ES module
// bundle per page (esbuild), plus the page's static files (HTML, CSS, message catalogues) copied as they are.
// `npm run build` runs it after `nest build`; jest's global setup runs it so tests serve real assets.
// Plain .mjs so that it runs without ts-node; esbuild itself reads the TypeScript.
import { build } from 'esbuild';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Each page: its folder under web/ and its entry module. */
export const PAGES = ['login', 'console'];

export async function buildWeb({ outDir = join(root, 'web', 'dist'), minify = true } = {}) {
  rmSync(outDir, { recursive: true, force: true });
  for (const page of PAGES) {
    const source = join(root, 'web', page);
    const target = join(outDir, page);
    mkdirSync(target, { recursive: true });
    // Static files travel as they are; the TypeScript becomes one bundle (no inline scripts: CSP stays strict).
    cpSync(source, target, { recursive: true, filter: (path) => !path.endsWith('.ts') });
    await build({
      entryPoints: [join(source, 'main.ts')],
      outfile: join(target, 'app.js'),
      bundle: true,
      format: 'esm',
      target: 'es2022',
      platform: 'browser',
      minify,
      sourcemap: true,
      legalComments: 'none',
      logLevel: 'warning',
    });
  }
  return outDir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = await buildWeb();
  console.log(`web pages built into ${outDir}`);
}
