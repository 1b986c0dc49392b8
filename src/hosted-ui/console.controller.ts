import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { NotFoundProblem } from '../common/problem';
import { devSignInEnabled } from '../config/agent-console';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { consoleCsp } from './console-csp';
import { loadPageFiles } from './page-files';

/** What the console needs to sign an agent in (GET /console/config.json); nothing here is secret. */
export interface ConsoleConfig {
  /** The workforce IdP, for OpenID Connect authorization code + PKCE from the browser (a public client). */
  oidc: { clientId: string; authorizationUrl: string; tokenUrl: string; scope: string } | null;
  /** The development sign-in (development issuer only, never in production). */
  devSignIn: boolean;
}

/**
 * Serves the agent console (/console, built from web/console) and its sign-in settings. Its page policy
 * is the hosted pages' one, plus the workforce IdP's token endpoint in connect-src: the browser redeems
 * the authorization code there itself (a public client; the service never sees the code).
 */
@ApiExcludeController()
@Controller('console')
export class ConsoleController {
  private readonly files = loadPageFiles('console');
  private readonly csp: string;
  private readonly settings: ConsoleConfig;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.settings = { oidc: config.agentConsole.oidc ?? null, devSignIn: devSignInEnabled(config) };
    this.csp = consoleCsp(config.agentConsole.oidc?.tokenUrl);
  }

  @Get()
  page(@Res() reply: FastifyReply): void {
    this.send(reply, 'index.html');
  }

  @Get('config.json')
  config(@Res() reply: FastifyReply): void {
    void reply
      .status(200)
      .header('Content-Type', 'application/json; charset=utf-8')
      .header('Cache-Control', 'no-store')
      .send(JSON.stringify(this.settings));
  }

  @Get(':file')
  file(@Param('file') file: string, @Res() reply: FastifyReply): void {
    this.send(reply, file);
  }

  private send(reply: FastifyReply, name: string): void {
    const file = this.files.get(name);
    if (!file) throw new NotFoundProblem(`no such file: /console/${name}`);
    // The HTML must be fetched fresh (it names the current bundle); the bundle may be cached briefly.
    void reply
      .status(200)
      .header('Content-Type', file.contentType)
      .header('Cache-Control', name === 'index.html' ? 'no-store' : 'public, max-age=300')
      .header('Content-Security-Policy', this.csp)
      .send(file.body);
  }
}
