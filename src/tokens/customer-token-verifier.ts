import { Injectable } from '@nestjs/common';
import { CustomerPrincipal, CustomerTokenVerifier } from '../sessions/customer-token-verifier.port';
import { TokensService } from './tokens.service';

/** The self-service API's bearer check: a live access token of a live session, issued for a customer. */
@Injectable()
export class TokensCustomerVerifier extends CustomerTokenVerifier {
  constructor(private readonly tokens: TokensService) {
    super();
  }

  async verifyCustomerToken(bearer: string): Promise<CustomerPrincipal | null> {
    const token = await this.tokens.validateAccessToken(bearer);
    if (!token?.cupid || !token.sessionId) return null;
    return { cupid: token.cupid, sessionId: token.sessionId, clientId: token.clientId };
  }
}
