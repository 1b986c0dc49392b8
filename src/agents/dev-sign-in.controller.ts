import { Body, Controller, Headers, HttpCode, Inject, Logger, Post, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { NotFoundProblem, NotPermittedError } from '../common/problem';
import { devSignInEnabled } from '../config/agent-console';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { mintDevAgentToken } from './dev-workforce-idp';
import { DevSignInDto, DevSignInResponse } from './dto/dev-sign-in.dto';

/**
 * The development server listens on every interface (HOST=0.0.0.0): without this, anyone on the developer's
 * network could mint support-agent tokens. Only a caller on this machine may, judged by the socket's own peer
 * address (never by X-Forwarded-For, which the caller writes).
 */
export function isLoopbackPeer(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}

/** As long as `npm run cli -- agent:token` mints by default. */
export const DEV_SIGN_IN_TTL_SECONDS = 3600;

/**
 * The agent console's development sign-in: a token for the named agent, signed with the development
 * workforce key (dev-workforce-idp.ts), exactly what `npm run cli -- agent:token` prints. Anyone who can
 * reach the service can ask, so it exists only with the development issuer, which production refuses
 * (config/sections.ts), and answers 404 otherwise. Not part of the REST contract (development only), so
 * not in openapi.yaml.
 */
@ApiExcludeController()
@Controller('console/dev-sign-in')
export class DevSignInController {
  private readonly logger = new Logger('DevSignIn');

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Post()
  @HttpCode(200)
  async signIn(
    @Body() body: DevSignInDto,
    @Headers('sec-fetch-site') fetchSite: string | undefined,
    @Req() request: FastifyRequest,
  ): Promise<DevSignInResponse> {
    if (!devSignInEnabled(this.config)) throw new NotFoundProblem('There is no development sign-in here.');
    if (!isLoopbackPeer(request.socket.remoteAddress))
      throw new NotPermittedError('The development sign-in answers callers on this machine only.');
    // Even in development, another site open in the developer's browser must not mint agent tokens
    // (CORS admits the registered clients' origins): a browser call must come from the console itself.
    if (fetchSite !== undefined && fetchSite !== 'same-origin')
      throw new NotPermittedError('The development sign-in answers the console page only.');
    const accessToken = await mintDevAgentToken(this.config, {
      subject: body.agent,
      roles: [this.config.agents.requiredRole],
      ttlSeconds: DEV_SIGN_IN_TTL_SECONDS,
    });
    // Loud on purpose: a development token was handed out (the token itself is never logged).
    this.logger.warn(`development sign-in: minted a ${DEV_SIGN_IN_TTL_SECONDS}s agent token for ${body.agent}`);
    return { accessToken, tokenType: 'Bearer', expiresIn: DEV_SIGN_IN_TTL_SECONDS, agent: body.agent };
  }
}
