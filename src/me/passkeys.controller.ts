import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { sha256 } from '../common/crypto';
import { ApiError, NotFoundProblem } from '../common/problem';
import { ApiProblems } from '../common/problem.dto';
import { requestOrigin } from '../common/request-origin';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { orDirectoryOutage, UserDirectory } from '../directory/user-directory.port';
import { PasskeysRepository } from '../mfa/passkeys/passkeys.repository';
import { PasskeysService } from '../mfa/passkeys/passkeys.service';
import { challengeOf, PasskeyRelyingParty } from '../mfa/passkeys/relying-party';
import { Inject } from '@nestjs/common';
import { CustomerAuthGuard } from './customer-auth.guard';
import type { CustomerRequest } from './customer-auth.guard';
import {
  PasskeyDto,
  PasskeyListDto,
  PasskeyRegistrationOptionsDto,
  RegisterPasskeyDto,
  toPasskeyDto,
} from './dto/passkey.dto';
import { FreshAuthGuard } from './fresh-auth.guard';

function registrationRefused(): ApiError {
  return new ApiError(
    400,
    'PASSKEY_REGISTRATION_INVALID',
    'Passkey registration refused',
    'The registration did not verify against a live challenge of this session: ask for new options.',
  );
}

/**
 * The customer's passkeys (WebAuthn registration ceremony, §7.1). Registering and removing need a fresh
 * step-up (FreshAuthGuard). The registration challenge is stored only as its hash, bound to this customer and
 * session, and spent by one conditional UPDATE before the response is verified: a replayed or raced
 * registration finds it spent.
 */
@ApiTags('self-service')
@ApiBearerAuth('customer')
@UseGuards(CustomerAuthGuard)
@ApiProblems('UNAUTHENTICATED', 'FORBIDDEN')
@Controller('me/passkeys')
export class PasskeysController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly passkeys: PasskeysRepository,
    private readonly service: PasskeysService,
    private readonly relyingParty: PasskeyRelyingParty,
    private readonly directory: UserDirectory,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  @Get()
  @ApiOperation({ summary: 'My passkeys' })
  @ApiOkResponse({ type: PasskeyListDto })
  async list(@Req() request: CustomerRequest): Promise<PasskeyListDto> {
    return { passkeys: (await this.passkeys.listActive(request.customer.cupid)).map(toPasskeyDto) };
  }

  @Post('registration-options')
  @HttpCode(200)
  @UseGuards(FreshAuthGuard)
  @ApiOperation({
    summary: 'Start registering a passkey',
    description:
      'Answers WebAuthn creation options for a discoverable credential with user verification. Needs a fresh step-up ' +
      '(STEP_UP_REQUIRED otherwise; a customer with no factor yet may enrol after a fresh password sign-in).',
  })
  @ApiOkResponse({ type: PasskeyRegistrationOptionsDto })
  @ApiProblems('STEP_UP_REQUIRED', 'DEPENDENCY_UNAVAILABLE')
  async registrationOptions(@Req() request: CustomerRequest): Promise<PasskeyRegistrationOptionsDto> {
    const { cupid, sessionId } = request.customer;
    // The directory names the account on the authenticator's account chooser; asked with no connection held.
    const user = await orDirectoryOutage(this.directory.findByCupid(cupid));
    if (!user) throw new NotFoundProblem('No customer has this id.');
    const existing = await this.passkeys.listActive(cupid);
    const publicKey = await this.relyingParty.registrationOptions(
      cupid,
      { name: user.username, displayName: user.displayName ?? user.username },
      existing,
    );
    const now = this.clock.now();
    await this.passkeys.insertChallenge(this.dataSource.manager, {
      hash: sha256(publicKey.challenge),
      cupid,
      sessionId,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.webauthn.challengeTtlSeconds * 1000),
    });
    return { publicKey: publicKey as unknown as Record<string, unknown> };
  }

  @Post()
  @UseGuards(FreshAuthGuard)
  @ApiOperation({
    summary: 'Register a passkey',
    description:
      'Verifies the response of navigator.credentials.create() against the challenge of registration-options (single use), ' +
      'this RP ID and WEBAUTHN_ORIGINS, with user verification; the customer is notified on another channel.',
  })
  @ApiCreatedResponse({ type: PasskeyDto })
  @ApiProblems('STEP_UP_REQUIRED', 'PASSKEY_REGISTRATION_INVALID', 'VALIDATION_FAILED')
  async register(@Body() body: RegisterPasskeyDto, @Req() request: CustomerRequest): Promise<PasskeyDto> {
    const { cupid, sessionId } = request.customer;
    const origin = requestOrigin(request);
    const challenge = challengeOf(body.credential);
    const spent =
      challenge !== null &&
      (await this.passkeys.spendChallenge(this.dataSource.manager, {
        hash: sha256(challenge),
        cupid,
        sessionId,
        now: this.clock.now(),
      }));
    const registered = spent ? await this.relyingParty.verifyRegistration(body.credential, challenge) : null;
    if (!registered) {
      await this.audit.record(this.dataSource.manager, {
        type: AUDIT_EVENT_TYPES.PASSKEY_REGISTRATION_REJECTED,
        outcome: 'FAILURE',
        actor: { type: 'CUSTOMER', id: cupid },
        cupid,
        sessionId,
        ip: origin.ip,
        userAgent: origin.userAgent,
        details: { reason: spent ? 'verification' : 'challenge' },
      });
      throw registrationRefused();
    }
    const passkey = await this.service.register({ cupid, name: body.name ?? 'Passkey', registered }, origin);
    if (!passkey) throw registrationRefused();
    return toPasskeyDto(passkey);
  }

  @Delete(':passkeyId')
  @HttpCode(204)
  @UseGuards(FreshAuthGuard)
  @ApiOperation({
    summary: 'Remove one of my passkeys',
    description: 'It can no longer sign in; needs a fresh step-up. The customer is notified on another channel.',
  })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiProblems('STEP_UP_REQUIRED', 'NOT_FOUND')
  async revoke(
    @Param('passkeyId', new ParseUUIDPipe()) passkeyId: string,
    @Req() request: CustomerRequest,
  ): Promise<void> {
    const { cupid } = request.customer;
    if (!(await this.service.revoke(cupid, passkeyId, { type: 'customer', id: cupid })))
      throw new NotFoundProblem('No passkey of yours has this id.');
  }
}
