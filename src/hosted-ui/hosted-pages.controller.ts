import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { NotFoundProblem } from '../common/problem';
import { loadPageFiles, PageFile } from './page-files';

/**
 * The pages' own policy: scripts, styles and API calls from this origin only, no inline script or style, no
 * framing. The JSON API keeps its stricter `default-src 'none'` (src/app.ts).
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Serves the hosted login page (/login, the default LOGIN_UI_URL), built from web/ by scripts/build-web.mjs.
 * The agent console (/console) has its own controller (console.controller.ts). Not part of the REST API, so
 * not in openapi.yaml.
 */
@ApiExcludeController()
@Controller()
export class HostedPagesController {
  private readonly pages = new Map<string, Map<string, PageFile>>([['login', loadPageFiles('login')]]);

  @Get('login')
  loginPage(@Res() reply: FastifyReply): void {
    this.send(reply, 'login', 'index.html');
  }

  @Get('login/:file')
  loginFile(@Param('file') file: string, @Res() reply: FastifyReply): void {
    this.send(reply, 'login', file);
  }

  private send(reply: FastifyReply, page: string, name: string): void {
    const file = this.pages.get(page)?.get(name);
    if (!file) throw new NotFoundProblem(`no such file: /${page}/${name}`);
    // The HTML must be fetched fresh (it names the current bundle); the bundle may be cached briefly.
    const cache = name === 'index.html' ? 'no-store' : 'public, max-age=300';
    void reply
      .status(200)
      .header('Content-Type', file.contentType)
      .header('Cache-Control', cache)
      .header('Content-Security-Policy', PAGE_CSP)
      .send(file.body);
  }
}
