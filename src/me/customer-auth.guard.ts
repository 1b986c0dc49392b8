import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { parseBearer } from '../common/bearer';
import { BearerTokenRequiredError } from '../common/problem';
import { CustomerPrincipal, CustomerTokenVerifier } from '../sessions/customer-token-verifier.port';

export type { CustomerPrincipal } from '../sessions/customer-token-verifier.port';

export type CustomerRequest = FastifyRequest & { customer: CustomerPrincipal };

/**
 * Customer self-service: a bearer access token from our own token endpoint, checked against its row and
 * its session's (a revoked token or ended session is refused at once). Client-credentials tokens speak
 * for no customer and are refused. The check itself is the tokens module's, behind CustomerTokenVerifier.
 */
@Injectable()
export class CustomerAuthGuard implements CanActivate {
  private verifier?: CustomerTokenVerifier;

  constructor(private readonly moduleRef: ModuleRef) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<CustomerRequest>();
    const bearer = parseBearer(request.headers.authorization);
    if (!bearer) throw new BearerTokenRequiredError('ciam', undefined, request.headers.authorization !== undefined);
    this.verifier ??= this.moduleRef.get(CustomerTokenVerifier, { strict: false });
    const customer = await this.verifier.verifyCustomerToken(bearer);
    if (!customer) throw new BearerTokenRequiredError('ciam', 'The access token is invalid, expired or revoked.');
    request.customer = customer;
    return true;
  }
}
