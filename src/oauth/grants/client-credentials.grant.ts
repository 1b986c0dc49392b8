import { Injectable } from '@nestjs/common';
import { ClientsService } from '../../clients/clients.service';
import { TokenResponse, TokensService } from '../../tokens/tokens.service';
import { InvalidClientError, InvalidScopeError } from '../oauth-errors';
import { Grant, GrantRequest } from './grant';

/** Scopes that describe a customer's login and mean nothing for a client acting for itself. */
const USER_SCOPES = new Set(['openid', 'profile', 'email', 'phone', 'offline_access']);

/** RFC 6749 §4.4: a confidential client's own access token; no refresh token, no ID token. */
@Injectable()
export class ClientCredentialsGrant extends Grant {
  readonly type = 'client_credentials' as const;

  constructor(
    private readonly tokens: TokensService,
    private readonly clients: ClientsService,
  ) {
    super();
  }

  async execute({ client, params, origin, dpopJkt }: GrantRequest): Promise<TokenResponse> {
    const allowed = client.scopes.filter((scope) => !USER_SCOPES.has(scope));
    const requested = params.optional('scope', 1024)?.split(' ').filter(Boolean);
    const beyond = (requested ?? []).filter((scope) => !allowed.includes(scope));
    if (beyond.length > 0) throw new InvalidScopeError(`scope not allowed for this client: ${beyond.join(' ')}`);
    const scope = (requested ?? allowed).join(' ');
    // One statement (the token row and its audit event): no transaction around it (issue 14). It writes
    // nothing for a client deactivated since it was verified (from the cache), whatever a notification's delay.
    const tokens = await this.tokens.issueForClient(
      (first) => this.clients.activeGuard(client, first),
      client,
      scope,
      origin,
      dpopJkt,
    );
    if (tokens) return tokens;
    this.clients.forget(client.clientId);
    throw new InvalidClientError('client authentication failed');
  }
}
