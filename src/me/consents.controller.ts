import { Controller, Delete, Get, HttpCode, Param, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ClientsService } from '../clients/clients.service';
import { NotFoundProblem } from '../common/problem';
import { ApiProblems } from '../common/problem.dto';
import { requestOrigin } from '../common/request-origin';
import { ConsentRecordsRepository } from '../consents/consent-records.repository';
import { ConsentRevocationService } from '../tokens/consent-revocation.service';
import { CustomerAuthGuard } from './customer-auth.guard';
import type { CustomerRequest } from './customer-auth.guard';
import { consentPath, ConsentListDto, ConsentRevokedDto, toConsentList } from './dto/consent.dto';

/**
 * The customer's consents to third-party applications (issue 16 item 2): what each was allowed, and withdrawing
 * it, for one scope or the whole application. A withdrawal takes effect at once (ConsentRevocationService: the
 * application's tokens that depend on it die in the same transaction, and it is told by back-channel logout).
 * Only the bank's own (first-party) applications may call this (CustomerAuthGuard refuses any other for all of
 * /me): a third-party application's token would otherwise read or withdraw the consents given to the others.
 */
@ApiTags('self-service')
@ApiBearerAuth('customer')
@UseGuards(CustomerAuthGuard)
@ApiProblems('UNAUTHENTICATED', 'FORBIDDEN', 'VALIDATION_FAILED')
@Controller('me/consents')
export class ConsentsController {
  constructor(
    private readonly consents: ConsentRecordsRepository,
    private readonly revocation: ConsentRevocationService,
    private readonly clients: ClientsService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'My consents, per application, each scope with its times' })
  @ApiOkResponse({ type: ConsentListDto })
  async list(@Req() request: CustomerRequest): Promise<ConsentListDto> {
    return consentListOf(this.consents, this.clients, request.customer.cupid);
  }

  @Delete(':clientId')
  @HttpCode(200)
  @ApiOperation({
    summary: "Withdraw an application's consent",
    description:
      "Every scope; the application's tokens and unused codes for me stop working at once. Audited as consent.revoked.",
  })
  @ApiParam({ name: 'clientId', example: 'budget-app' })
  @ApiOkResponse({ type: ConsentRevokedDto })
  @ApiProblems('NOT_FOUND')
  revokeClient(@Param('clientId') clientId: string, @Req() request: CustomerRequest): Promise<ConsentRevokedDto> {
    return this.revoke(request, clientId, null);
  }

  @Delete(':clientId/scopes/:scope')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Withdraw one scope from an application',
    description: "The application's tokens that carry this scope stop working at once; the others stay. Audited.",
  })
  @ApiParam({ name: 'clientId', example: 'budget-app' })
  @ApiParam({ name: 'scope', example: 'profile' })
  @ApiOkResponse({ type: ConsentRevokedDto })
  @ApiProblems('NOT_FOUND')
  revokeScope(
    @Param('clientId') clientId: string,
    @Param('scope') scope: string,
    @Req() request: CustomerRequest,
  ): Promise<ConsentRevokedDto> {
    return this.revoke(request, clientId, scope);
  }

  private async revoke(request: CustomerRequest, clientId: string, scope: string | null): Promise<ConsentRevokedDto> {
    consentPath(clientId, scope ?? undefined);
    const { cupid } = request.customer;
    const outcome = await this.revocation.revoke({
      cupid,
      clientId,
      scopes: scope === null ? null : [scope],
      by: { type: 'CUSTOMER', id: cupid },
      reason: 'withdrawn by the customer',
      origin: requestOrigin(request),
    });
    if (!outcome) throw new NotFoundProblem('No live consent of yours to this application (and scope).');
    return { scopes: outcome.scopes, tokensRevoked: outcome.tokensRevoked };
  }
}

/** The listing both the customer and the agents see; names from the client cache (the id when it is gone). */
export async function consentListOf(
  consents: ConsentRecordsRepository,
  clients: ClientsService,
  cupid: string,
): Promise<ConsentListDto> {
  const records = await consents.listForCustomer(cupid);
  const names = new Map<string, string>();
  for (const clientId of new Set(records.map((record) => record.clientId)))
    names.set(clientId, (await clients.findActive(clientId))?.name ?? clientId);
  return toConsentList(records, (clientId) => names.get(clientId) ?? clientId);
}
