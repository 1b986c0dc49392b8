import { Controller, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/problem.dto';
import { RecoveryCodesService } from '../mfa/recovery-codes/recovery-codes.service';
import { CustomerAuthGuard } from './customer-auth.guard';
import type { CustomerRequest } from './customer-auth.guard';
import { RecoveryCodesDto } from './dto/recovery-codes.dto';
import { FreshAuthGuard } from './fresh-auth.guard';

/** My recovery codes (issue 17, item 4): a new batch of ten replaces the unused ones; needs a fresh authentication. */
@ApiTags('self-service')
@ApiBearerAuth('customer')
@UseGuards(CustomerAuthGuard, FreshAuthGuard)
@ApiProblems('UNAUTHENTICATED', 'FORBIDDEN', 'DEPENDENCY_UNAVAILABLE', 'STEP_UP_REQUIRED')
@Controller('me/recovery-codes')
export class RecoveryCodesController {
  constructor(private readonly codes: RecoveryCodesService) {}

  @Post()
  @ApiOperation({
    summary: 'Generate my recovery codes',
    description:
      'Ten single-use codes, shown once (only their hashes are kept); the unused codes of an earlier batch stop working. ' +
      'Each can stand in for a second factor once. Listed and revoked with my other factors. Needs a fresh authentication.',
  })
  @ApiCreatedResponse({ type: RecoveryCodesDto })
  async regenerate(@Req() request: CustomerRequest): Promise<RecoveryCodesDto> {
    const { cupid } = request.customer;
    return { codes: await this.codes.regenerate(cupid, { type: 'CUSTOMER', id: cupid }) };
  }
}
