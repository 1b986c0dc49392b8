import { Controller, Delete, Get, HttpCode, Param, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/problem.dto';
import { requestOrigin } from '../common/request-origin';
import { CustomerAuthGuard } from './customer-auth.guard';
import type { CustomerRequest } from './customer-auth.guard';
import { FactorListDto, toFactorDto } from './dto/factor.dto';
import { FactorsService } from './factors.service';
import { FreshAuthGuard } from './fresh-auth.guard';

/** A customer's own factors, every kind (issue 17): listing is open to the token; a change needs a fresh step-up. */
@ApiTags('self-service')
@ApiBearerAuth('customer')
@UseGuards(CustomerAuthGuard)
@ApiProblems('UNAUTHENTICATED', 'FORBIDDEN', 'DEPENDENCY_UNAVAILABLE')
@Controller('me/factors')
export class FactorsController {
  constructor(private readonly factors: FactorsService) {}

  @Get()
  @ApiOperation({
    summary: 'My factors',
    description: 'Every registered factor: the phone for SMS codes (from the directory), trusted devices, and more.',
  })
  @ApiOkResponse({ type: FactorListDto })
  async list(@Req() request: CustomerRequest): Promise<FactorListDto> {
    return { factors: (await this.factors.list(request.customer.cupid)).map(toFactorDto) };
  }

  @Delete(':factorKind/:factorId')
  @HttpCode(204)
  @UseGuards(FreshAuthGuard)
  @ApiOperation({
    summary: 'Remove one of my factors',
    description:
      'Needs a fresh step-up (FACTOR_CHANGE_MAX_AGE_SECONDS); audited as factor.removed and notified on another channel.',
  })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiProblems('STEP_UP_REQUIRED', 'NOT_FOUND', 'FACTOR_NOT_REVOCABLE')
  async remove(
    @Param('factorKind') kind: string,
    @Param('factorId') id: string,
    @Req() request: CustomerRequest,
  ): Promise<void> {
    const { cupid } = request.customer;
    await this.factors.remove(
      cupid,
      kind,
      id,
      { type: 'CUSTOMER', id: cupid },
      'removed by the customer',
      requestOrigin(request),
    );
  }
}
