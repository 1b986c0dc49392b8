import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiParam, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { NotFoundProblem } from '../common/problem';
import { ApiProblems } from '../common/problem.dto';
import { FederationLinkListDto, toFederationLinkDto } from '../federation/dto/federation.dto';
import { FederationLinksService } from '../federation/federation-links.service';
import { CustomerAuthGuard } from './customer-auth.guard';
import type { CustomerRequest } from './customer-auth.guard';

/** The customer's links to upstream identity providers (issue 21): listed and removable by the customer. */
@ApiTags('self-service')
@ApiBearerAuth('customer')
@UseGuards(CustomerAuthGuard)
@ApiProblems('UNAUTHENTICATED', 'FORBIDDEN')
@Controller('me/federation-links')
export class FederationLinksController {
  constructor(private readonly links: FederationLinksService) {}

  @Get()
  @ApiOperation({ summary: 'My links to upstream identity providers (never their tokens)' })
  @ApiOkResponse({ type: FederationLinkListDto })
  async list(@Req() request: CustomerRequest): Promise<FederationLinkListDto> {
    return { links: (await this.links.list(request.customer.cupid)).map(toFederationLinkDto) };
  }

  @Delete(':linkId')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Remove a link',
    description: 'Sign-ins through that provider no longer sign me in. Audited as federation.unlinked (by: customer).',
  })
  @ApiNoContentResponse({ description: 'Unlinked' })
  @ApiParam({ name: 'linkId', format: 'uuid', example: '6f1c2a8e-3b9d-4e57-a1c0-2d4b8e9f7a61' })
  @ApiProblems('VALIDATION_FAILED', 'NOT_FOUND')
  async unlink(@Param('linkId', new ParseUUIDPipe()) linkId: string, @Req() request: CustomerRequest): Promise<void> {
    const { cupid } = request.customer;
    if (!(await this.links.unlink(cupid, linkId, 'customer', { type: 'CUSTOMER', id: cupid })))
      throw new NotFoundProblem('You have no active link with this id.');
  }
}
