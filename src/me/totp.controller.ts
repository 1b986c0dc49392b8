import {
  Body,
  Controller,
  Delete,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiError, NotFoundProblem } from '../common/problem';
import { ApiProblems } from '../common/problem.dto';
import { TotpService } from '../mfa/totp/totp.service';
import { CustomerAuthGuard } from './customer-auth.guard';
import type { CustomerRequest } from './customer-auth.guard';
import { TotpConfirmDto, TotpEnrolmentDto } from './dto/totp.dto';
import { FreshAuthGuard } from './fresh-auth.guard';

/**
 * My authenticator apps (TOTP, issue 17 item 2). Enrolment and removal need a fresh authentication
 * (FreshAuthGuard); the confirmation by the first code needs only the token of the same customer.
 */
@ApiTags('self-service')
@ApiBearerAuth('customer')
@UseGuards(CustomerAuthGuard)
@ApiProblems('UNAUTHENTICATED', 'FORBIDDEN', 'DEPENDENCY_UNAVAILABLE')
@Controller('me/totp')
export class TotpController {
  constructor(private readonly totp: TotpService) {}

  @Post()
  @UseGuards(FreshAuthGuard)
  @ApiOperation({
    summary: 'Add an authenticator app',
    description:
      'Answers the otpauth:// URI (issuer and label set) and the secret, once: the frontend shows the URI as a QR code. ' +
      'The app is usable after POST /me/totp/{id}/confirm with its first code. Needs a fresh authentication.',
  })
  @ApiCreatedResponse({ type: TotpEnrolmentDto })
  @ApiProblems('STEP_UP_REQUIRED')
  async enrol(@Req() request: CustomerRequest): Promise<TotpEnrolmentDto> {
    return this.totp.enrol(request.customer.cupid, 'account');
  }

  @Post(':credentialId/confirm')
  @ApiOperation({ summary: 'Confirm an authenticator app with its first code' })
  @ApiNoContentResponse({ description: 'Confirmed' })
  @ApiProblems('VALIDATION_FAILED', 'NOT_FOUND', 'OTP_INVALID')
  @HttpCode(204)
  async confirm(
    @Param('credentialId', new ParseUUIDPipe()) credentialId: string,
    @Body() body: TotpConfirmDto,
    @Req() request: CustomerRequest,
  ): Promise<void> {
    const { cupid } = request.customer;
    const outcome = await this.totp.confirm(cupid, credentialId, body.code, { type: 'CUSTOMER', id: cupid });
    if (outcome === 'unknown')
      throw new NotFoundProblem('No authenticator app of yours awaits confirmation with this id.');
    if (outcome === 'invalid')
      throw new ApiError(
        HttpStatus.UNAUTHORIZED,
        'OTP_INVALID',
        'Wrong code',
        'The code is not the one the app shows now.',
      );
  }

  @Delete(':credentialId')
  @HttpCode(204)
  @UseGuards(FreshAuthGuard)
  @ApiOperation({ summary: 'Remove an authenticator app', description: 'Needs a fresh authentication.' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiProblems('NOT_FOUND', 'STEP_UP_REQUIRED')
  async remove(
    @Param('credentialId', new ParseUUIDPipe()) credentialId: string,
    @Req() request: CustomerRequest,
  ): Promise<void> {
    const { cupid } = request.customer;
    if ((await this.totp.revoke(cupid, credentialId, { type: 'CUSTOMER', id: cupid }, 'removed by the customer')) === 0)
      throw new NotFoundProblem('No authenticator app of yours has this id.');
  }
}
