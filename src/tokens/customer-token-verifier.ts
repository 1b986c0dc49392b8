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
    // A DPoP-bound token (RFC 9449) is only good with a proof of its key; this API takes bearer tokens only.
    if (token.dpopJkt) return null;
    return { cupid: token.cupid, sessionId: token.sessionId, clientId: token.clientId };
  }
}
