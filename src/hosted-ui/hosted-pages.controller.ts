import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { NotFoundProblem } from '../common/problem';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { brandingCss, brandingJson, loginPageCsp } from './branding';
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
  private readonly loginCsp: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.loginCsp = loginPageCsp(PAGE_CSP, config.loginUi.logoUrl);
  }

  @Get('login')
  loginPage(@Res() reply: FastifyReply): void {
    this.send(reply, 'login', 'index.html');
  }

  /** Branding from configuration (LOGIN_UI_*), so a deployment restyles the page without a rebuild. */
  @Get('login/branding.css')
  loginBrandingCss(@Res() reply: FastifyReply): void {
    this.sendGenerated(reply, 'text/css; charset=utf-8', brandingCss(this.config.loginUi));
  }

  @Get('login/branding.json')
  loginBrandingJson(@Res() reply: FastifyReply): void {
    this.sendGenerated(reply, 'application/json; charset=utf-8', JSON.stringify(brandingJson(this.config.loginUi)));
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
      .header('Content-Security-Policy', this.loginCsp)
      .send(file.body);
  }

  private sendGenerated(reply: FastifyReply, contentType: string, body: string): void {
    void reply
      .status(200)
      .header('Content-Type', contentType)
      .header('Cache-Control', 'public, max-age=300')
      .header('Content-Security-Policy', PAGE_CSP)
      .send(body);
  }
}
