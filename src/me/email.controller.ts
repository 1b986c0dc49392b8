import { Body, Controller, Delete, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { NotFoundProblem } from '../common/problem';
import { ApiProblems } from '../common/problem.dto';
import { requestOrigin } from '../common/request-origin';
import { EmailVerificationService } from '../mfa/email/email-verification.service';
import { CustomerAuthGuard } from './customer-auth.guard';
import type { CustomerRequest } from './customer-auth.guard';
import { AddEmailDto, EmailCodeSentDto, VerifiedEmailDto, VerifyEmailDto } from './dto/email.dto';
import { FreshAuthGuard } from './fresh-auth.guard';

/**
 * My verified email address (issue 17, item 1): add an address (a code is sent to it), confirm it with the code,
 * remove it. Adding and removing change a factor, so they need a fresh authentication (FreshAuthGuard); the
 * confirmation needs only the token, since the code it carries was sent after that check.
 */
@ApiTags('self-service')
@ApiBearerAuth('customer')
@UseGuards(CustomerAuthGuard)
@ApiProblems('UNAUTHENTICATED', 'FORBIDDEN', 'DEPENDENCY_UNAVAILABLE')
@Controller('me/email')
export class EmailController {
  constructor(private readonly verification: EmailVerificationService) {}

  @Get()
  @ApiOperation({ summary: 'My verified email address' })
  @ApiOkResponse({ type: VerifiedEmailDto })
  @ApiProblems('NOT_FOUND')
  async get(@Req() request: CustomerRequest): Promise<VerifiedEmailDto> {
    const current = await this.verification.current(request.customer.cupid);
    if (!current) throw new NotFoundProblem('You have no verified email address.');
    return { address: current.address, verifiedAt: current.verifiedAt.toISOString() };
  }

  @Post()
  @HttpCode(202)
  @UseGuards(FreshAuthGuard)
  @ApiOperation({
    summary: 'Add or change my email address',
    description:
      'Sends a 6-digit code to the address; confirm it with POST /me/email/verify. Sending the same address again ' +
      'is a resend (after `resendAvailableAt`). Needs a fresh authentication (`STEP_UP_REQUIRED`).',
  })
  @ApiAcceptedResponse({ type: EmailCodeSentDto })
  @ApiProblems(
    'VALIDATION_FAILED',
    'STEP_UP_REQUIRED',
    'RESEND_TOO_SOON',
    'RESEND_LIMIT_REACHED',
    'EMAIL_LIMIT_REACHED',
    'EMAIL_NOT_SENT',
    'EMAIL_UNAVAILABLE',
  )
  async add(@Body() body: AddEmailDto, @Req() request: CustomerRequest): Promise<EmailCodeSentDto> {
    const sent = await this.verification.start(request.customer.cupid, body.address.trim(), requestOrigin(request));
    return { expiresAt: sent.expiresAt.toISOString(), resendAvailableAt: sent.resendAvailableAt.toISOString() };
  }

  @Post('verify')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Confirm my email address with its code',
    description: 'The address becomes my verified one (replacing any before it); a notice goes to my other channel.',
  })
  @ApiOkResponse({ type: VerifiedEmailDto })
  @ApiProblems('VALIDATION_FAILED', 'OTP_INVALID', 'OTP_EXPIRED', 'CODE_NOT_SENT')
  async verify(@Body() body: VerifyEmailDto, @Req() request: CustomerRequest): Promise<VerifiedEmailDto> {
    const { cupid } = request.customer;
    await this.verification.confirm(cupid, body.code, requestOrigin(request));
    const current = await this.verification.current(cupid);
    return { address: current!.address, verifiedAt: current!.verifiedAt.toISOString() };
  }

  @Delete()
  @HttpCode(204)
  @UseGuards(FreshAuthGuard)
  @ApiOperation({ summary: 'Remove my email address', description: 'Needs a fresh authentication.' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiProblems('NOT_FOUND', 'STEP_UP_REQUIRED')
  async remove(@Req() request: CustomerRequest): Promise<void> {
    const { cupid } = request.customer;
    if (!(await this.verification.remove(cupid, { type: 'CUSTOMER', id: cupid }, 'removed by the customer')))
      throw new NotFoundProblem('You have no verified email address.');
  }
}
