import { Controller, Get, Header, Inject, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { PublicFederationProviderListDto } from './dto/federation.dto';
import { FederationProvidersService } from './federation-providers.service';

/** The longest provider answer handed on (code, state, iss, or an error and its description). */
const MAX_RESPONSE = 4096;

/**
 * The public side of federation (issue 21): the providers a login page offers, and the one redirect URI every
 * provider is registered with. The callback does nothing but hand the provider's answer to the hosted login page
 * in the URL's fragment (never sent to a server again, never in a Referer): the page posts it, with the FEDERATED
 * step's token it kept, to POST /journeys/{id}/federated/callback, where the code is exchanged and the ID token
 * checked. So only the browser that started a sign-in can finish it (a callback URL lured into another browser
 * has no token to go with it).
 */
@ApiTags('journeys')
@Controller('federation')
export class FederationController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly providers: FederationProvidersService,
  ) {}

  @Get('providers')
  @ApiOperation({ summary: 'The upstream identity providers a customer may sign in with (id and name only)' })
  @ApiOkResponse({ type: PublicFederationProviderListDto })
  async list(): Promise<PublicFederationProviderListDto> {
    const providers = await this.providers.activeProviders();
    return { providers: providers.map((provider) => ({ id: provider.id, displayName: provider.displayName })) };
  }

  @Get('callback')
  @Header('Cache-Control', 'no-store')
  @Header('Referrer-Policy', 'no-referrer')
  @ApiOperation({
    summary: "The providers' redirect URI: back to the login page",
    description:
      "Redirects (303) to the hosted login page with the provider's answer in the fragment `federation_response`; " +
      'the page continues the journey with POST /journeys/{journeyId}/federated/callback.',
  })
  @ApiResponse({ status: 303, description: 'To the login page' })
  callback(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
    const target = new URL(this.config.journeys.loginUiUrl);
    const answer =
      query.length > 0 && query.length <= MAX_RESPONSE
        ? query
        : new URLSearchParams({ error: 'invalid_request', error_description: 'no usable answer' }).toString();
    target.hash = new URLSearchParams({ federation_response: answer }).toString();
    void reply.status(303).header('Location', target.toString()).send();
  }
}
