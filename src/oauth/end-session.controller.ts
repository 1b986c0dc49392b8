import { Body, Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConsumes,
  ApiFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { retryTransaction } from '../database/retry-transaction';
import { requestOrigin } from '../common/request-origin';
import { SessionsService } from '../sessions/sessions.service';
import { SigningKeysService } from '../tokens/keys/signing-keys.service';
import { ClientsService } from '../clients/clients.service';
import { OAuthErrorDto, SignedOutDto } from './dto/oauth.dto';
import { InvalidRequestError } from './oauth-errors';
import { OAuthParams } from './oauth-params';
import { FORM, noStore } from './token.controller';

/**
 * OpenID Connect RP-Initiated Logout 1.0. The ID token hint (expired ones too) names the session; it is
 * revoked with all its tokens. The browser returns to post_logout_redirect_uri only when that URI is
 * registered for the client the hint was issued to.
 */
@ApiTags('oauth2')
@Controller('oauth2')
export class EndSessionController {
  constructor(
    private readonly keys: SigningKeysService,
    private readonly clients: ClientsService,
    private readonly sessions: SessionsService,
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  @Get('end_session')
  @ApiOperation({
    summary: 'End session (OIDC RP-Initiated Logout)',
    description: 'Revokes the session named by id_token_hint and its tokens.',
  })
  @ApiQuery({ name: 'id_token_hint', required: true })
  @ApiQuery({ name: 'post_logout_redirect_uri', required: false })
  @ApiQuery({ name: 'state', required: false })
  @ApiQuery({ name: 'client_id', required: false })
  @ApiFoundResponse({ description: 'Redirect to the registered post_logout_redirect_uri (with state)' })
  @ApiOkResponse({ type: SignedOutDto, description: 'Signed out; no redirect was asked for' })
  @ApiBadRequestResponse({ type: OAuthErrorDto })
  viaQuery(
    @Query() query: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SignedOutDto | undefined> {
    return this.endSession(OAuthParams.from(query), request, reply);
  }

  @Post('end_session')
  @HttpCode(200)
  @ApiOperation({ summary: 'End session (form post)' })
  @ApiConsumes(FORM)
  @ApiOkResponse({ type: SignedOutDto })
  @ApiBadRequestResponse({ type: OAuthErrorDto })
  viaForm(
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SignedOutDto | undefined> {
    return this.endSession(OAuthParams.from(body), request, reply);
  }

  private async endSession(
    params: OAuthParams,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<SignedOutDto | undefined> {
    noStore(reply);
    const hint = params.required('id_token_hint', 4096);
    const redirectUri = params.optional('post_logout_redirect_uri');
    const state = params.optional('state', 512);
    const clientIdParam = params.optional('client_id', 128);

    const claims = await this.keys.verify(hint, { typ: 'JWT', ignoreExpiration: true }).then(
      (result) => result.payload,
      () => {
        throw new InvalidRequestError('id_token_hint is not an ID token issued here');
      },
    );
    const clientId = typeof claims.aud === 'string' ? claims.aud : undefined;
    const sessionId = typeof claims.sid === 'string' ? claims.sid : undefined;
    if (!clientId || !sessionId || typeof claims.sub !== 'string')
      throw new InvalidRequestError('id_token_hint is not an ID token issued here');
    if (clientIdParam && clientIdParam !== clientId)
      throw new InvalidRequestError('client_id does not match the id_token_hint');
    if (redirectUri) {
      const client = await this.clients.findActive(clientId);
      if (!client?.postLogoutRedirectUris.includes(redirectUri)) {
        throw new InvalidRequestError('post_logout_redirect_uri is not registered for this client');
      }
    }

    const origin = requestOrigin(request);
    await retryTransaction(this.dataSource, async (tx) => {
      const revoked = await this.sessions.revoke(
        sessionId,
        { type: 'CUSTOMER', id: claims.sub! },
        'logout',
        origin,
        tx,
      );
      await this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.LOGOUT,
        outcome: 'SUCCESS',
        actor: { type: 'CUSTOMER', id: claims.sub! },
        cupid: claims.sub,
        sessionId,
        clientId,
        ip: origin.ip,
        userAgent: origin.userAgent,
        details: { sessionWasActive: revoked },
      });
    });

    if (redirectUri) {
      const target = new URL(redirectUri);
      if (state) target.searchParams.set('state', state);
      void reply.status(302).header('Location', target.toString());
      return undefined;
    }
    return { status: 'signed_out' };
  }
}
