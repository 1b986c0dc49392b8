import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { parseBearer } from '../common/bearer';
import { ClientsService } from '../clients/clients.service';
import { BearerTokenRequiredError, NotPermittedError } from '../common/problem';
import { CustomerPrincipal, CustomerTokenVerifier } from '../sessions/customer-token-verifier.port';

export type { CustomerPrincipal } from '../sessions/customer-token-verifier.port';

export type CustomerRequest = FastifyRequest & { customer: CustomerPrincipal };

/**
 * Customer self-service: a bearer access token from our own token endpoint, checked against its row and
 * its session's (a revoked token or ended session is refused at once). Client-credentials tokens speak
 * for no customer and are refused. The check itself is the tokens module's, behind CustomerTokenVerifier.
 * Only the bank's own (first-party) applications' tokens open /me (issue 16): a third-party application holds a
 * token for the scopes the customer allowed it, never the right to read or change the customer's account (their
 * sessions with every application, devices, factors, consents). The client comes from the client cache.
 */
@Injectable()
export class CustomerAuthGuard implements CanActivate {
  constructor(
    private readonly verifier: CustomerTokenVerifier,
    private readonly clients: ClientsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<CustomerRequest>();
    const bearer = parseBearer(request.headers.authorization);
    if (!bearer) throw new BearerTokenRequiredError('ciam', undefined, request.headers.authorization !== undefined);
    const customer = await this.verifier.verifyCustomerToken(bearer);
    if (!customer) throw new BearerTokenRequiredError('ciam', 'The access token is invalid, expired or revoked.');
    if (!(await this.clients.findActive(customer.clientId))?.firstParty)
      throw new NotPermittedError("Only the bank's own applications may use the self-service API.");
    request.customer = customer;
    return true;
  }
}
