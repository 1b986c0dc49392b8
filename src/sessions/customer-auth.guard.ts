import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { parseBearer } from '../common/bearer';
import { BearerTokenRequiredError } from '../common/problem';
import { TokensService } from '../tokens/tokens.service';

/** Who the customer-facing bearer token speaks for. */
export interface CustomerPrincipal {
  cupid: string;
  sessionId: string;
  clientId: string;
}

export type CustomerRequest = FastifyRequest & { customer: CustomerPrincipal };

/**
 * Customer self-service: a bearer access token from our own token endpoint, checked against its row
 * (a revoked token or ended session is refused at once). Client-credentials tokens speak for no
 * customer and are refused.
 */
@Injectable()
export class CustomerAuthGuard implements CanActivate {
  constructor(private readonly tokens: TokensService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<CustomerRequest>();
    const bearer = parseBearer(request.headers.authorization);
    if (!bearer) throw new BearerTokenRequiredError('ciam');
    const token = await this.tokens.validateAccessToken(bearer);
    if (!token?.cupid || !token.sessionId) throw new BearerTokenRequiredError('ciam', 'The access token is invalid, expired or revoked.');
    request.customer = { cupid: token.cupid, sessionId: token.sessionId, clientId: token.clientId };
    return true;
  }
}
