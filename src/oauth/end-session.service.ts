import { Injectable } from '@nestjs/common';
import { ClientsService } from '../clients/clients.service';
import type { RequestOrigin } from '../common/request-origin';
import { SessionsService } from '../sessions/sessions.service';
import { IdTokenHints } from './id-token-hint';
import { InvalidRequestError } from './oauth-errors';

/** An end_session request's parameters (OpenID Connect RP-Initiated Logout 1.0 §2). */
export interface EndSessionRequest {
  idTokenHint: string;
  postLogoutRedirectUri?: string;
  state?: string;
  clientId?: string;
}

/**
 * OpenID Connect RP-Initiated Logout 1.0. The ID token hint (expired ones too: a customer may sign out
 * long after the ID token's lifetime) names the session; it is revoked, and its tokens stop working with
 * it. The browser returns to post_logout_redirect_uri only when that URI is registered for the client the
 * hint was issued to (§3: otherwise logout would be an open redirector).
 */
@Injectable()
export class EndSessionService {
  constructor(
    private readonly hints: IdTokenHints,
    private readonly clients: ClientsService,
    private readonly sessions: SessionsService,
  ) {}

  /** Ends the session; the URI to send the browser to (with state), or null when none was asked for. */
  async endSession(request: EndSessionRequest, origin: RequestOrigin): Promise<{ redirectTo: string | null }> {
    const hint = await this.hints.resolve(request.idTokenHint);
    if (!hint) throw new InvalidRequestError('id_token_hint is not an ID token issued here');
    const { clientId, cupid } = hint;
    if (request.clientId && request.clientId !== clientId)
      throw new InvalidRequestError('client_id does not match the id_token_hint');
    const redirectUri = request.postLogoutRedirectUri;
    if (redirectUri) {
      // Checked before the session ends: a refused redirect is a bad request that changes nothing.
      const client = await this.clients.findActive(clientId);
      if (!client?.postLogoutRedirectUris.includes(redirectUri)) {
        throw new InvalidRequestError('post_logout_redirect_uri is not registered for this client');
      }
    }

    await this.sessions.logout(await this.hints.sessionOf(hint), cupid, clientId, origin);

    if (!redirectUri) return { redirectTo: null };
    const target = new URL(redirectUri);
    if (request.state) target.searchParams.set('state', request.state);
    return { redirectTo: target.toString() };
  }
}
