import { Logger } from '@nestjs/common';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';

/** A built file of a page, held in memory: the pages are small and never change while the process runs. */
export interface PageFile {
  body: Buffer;
  contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** The project root: the nearest folder above this file that holds package.json (src/ in tests, dist/src/ built). */
function projectRoot(): string {
  let folder = __dirname;
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error('package.json not found above ' + __dirname);
    folder = parent;
  }
  return folder;
}

/** Where scripts/build-web.mjs writes the pages (web/dist/<page>/). */
export const WEB_DIST = join(projectRoot(), 'web', 'dist');

/**
 * Reads one page's built files (flat folder: index.html, app.js, styles, message catalogues) once, at start.
 * Only names found here are ever served, so a request path can never reach another file on disk.
 */
export function loadPageFiles(page: string, logger = new Logger('HostedPages')): Map<string, PageFile> {
  const folder = join(WEB_DIST, page);
  const files = new Map<string, PageFile>();
  if (!existsSync(folder)) {
    logger.warn(`the ${page} page is not built (${folder} is missing): run \`npm run build:web\``);
    return files;
  }
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const contentType = CONTENT_TYPES[extname(entry.name)];
    if (contentType) files.set(entry.name, { body: readFileSync(join(folder, entry.name)), contentType });
  }
  return files;
}
