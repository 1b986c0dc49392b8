import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiProblems } from '../common/problem.dto';
import { requestOrigin } from '../common/request-origin';
import {
  DeviceBindDto,
  DeviceProofDto,
  EsignDto,
  PasswordStepDto,
  PushPollDto,
  SmsCodeDto,
  StartJourneyDto,
  TransactionOnlyDto,
} from './dto/journey.dto';
import { JOURNEY_RESPONSE, JOURNEY_RESPONSE_MODELS } from './dto/journey-response.dto';
import { PushAnswersService } from '../mfa/push/push-answers.service';
import { JourneyService, JourneyView } from './journey.service';

@ApiTags('journeys')
@ApiExtraModels(...JOURNEY_RESPONSE_MODELS)
@Controller('journeys')
export class JourneysController {
  constructor(
    private readonly journeys: JourneyService,
    private readonly pushAnswers: PushAnswersService,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Start a login journey',
    description:
      'Opens a journey for a registered client. The response names the first step and carries its single-use transaction token.',
  })
  @ApiCreatedResponse({ schema: JOURNEY_RESPONSE, description: 'The journey and its first step' })
  @ApiProblems({
    400: 'Invalid request: unknown client, unregistered redirect URI, scope not allowed, malformed PKCE challenge',
  })
  start(@Body() body: StartJourneyDto, @Req() request: FastifyRequest): Promise<JourneyView> {
    return this.journeys.start(
      {
        clientId: body.clientId,
        redirectUri: body.redirectUri,
        codeChallenge: body.codeChallenge,
        codeChallengeMethod: body.codeChallengeMethod,
        scope: body.scope,
        nonce: body.nonce,
        state: body.state,
        channel: body.channel ?? 'WEB',
        deviceId: body.device?.deviceId,
        deviceData: body.device?.data,
        bindDevice: body.device?.bind,
        deviceKeyThumbprint: body.device?.keyThumbprint,
        startedBy: 'api',
      },
      requestOrigin(request),
    );
  }

  @Post(':journeyId/password')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Submit username and password',
    description:
      'Verifies the credentials against the directory, evaluates device risk, and answers with the next step ' +
      '(e.g. a second factor) or, when nothing is left, a one-time authorization code and the redirect back to the client.',
  })
  @ApiOkResponse({ schema: JOURNEY_RESPONSE, description: 'The next step, or the completed journey' })
  @ApiProblems({
    400: 'TRANSACTION_INVALID: the token is unknown, used or expired; or validation failed',
    401: 'INVALID_CREDENTIALS: wrong username or password, or an account locked or disabled in the directory (the same answer; a fresh transactionToken and attemptsLeft ride along)',
    403: 'ACCESS_DENIED (risk) or JOURNEY_FAILED (attempts used up)',
    409: 'STEP_OUT_OF_ORDER: the journey expects another step',
    429: 'TOO_MANY_ATTEMPTS: the account or address is locked out (Retry-After)',
    503: 'DEPENDENCY_UNAVAILABLE: the directory or the risk service is down; retry with the same token (Retry-After)',
  })
  password(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: PasswordStepDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(
      journeyId,
      'PASSWORD',
      'verify',
      body.transactionToken,
      {
        username: body.username,
        password: body.password,
        ...(body.device
          ? {
              device: {
                deviceId: body.device.deviceId,
                bind: body.device.bind,
                keyThumbprint: body.device.keyThumbprint,
              },
            }
          : {}),
      },
      requestOrigin(request),
    );
  }

  @Post(':journeyId/sms-otp/send')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Second factor: send a code by SMS',
    description:
      'The customer chose SMS among the offered factors (nextStep.options). Sends a 6-digit code to the phone shown masked; ' +
      'the response carries a new transaction token to verify it with, the code expiry and when a resend becomes possible.',
  })
  @ApiOkResponse({ schema: JOURNEY_RESPONSE, description: 'The next step, or the completed journey' })
  @ApiProblems({
    400: 'TRANSACTION_INVALID',
    409: 'CODE_ALREADY_SENT: use resend',
    429: 'SMS_LIMIT_REACHED: too many codes to this number or customer recently; MFA_LOCKED: too many wrong codes for this customer (Retry-After)',
    503: 'SMS_NOT_SENT: the SMS provider failed; nothing counted, retry with the same token (Retry-After)',
  })
  sendSms(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: TransactionOnlyDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(journeyId, 'SMS_OTP', 'send', body.transactionToken, {}, requestOrigin(request));
  }

  @Post(':journeyId/sms-otp/resend')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Second factor: send a new SMS code',
    description: 'Voids the previous code. Limited per journey, after a cool-down, and by a budget per phone number.',
  })
  @ApiOkResponse({ schema: JOURNEY_RESPONSE, description: 'The next step, or the completed journey' })
  @ApiProblems({
    400: 'TRANSACTION_INVALID',
    409: 'CODE_NOT_SENT: send first',
    429: 'RESEND_TOO_SOON (Retry-After), RESEND_LIMIT_REACHED, SMS_LIMIT_REACHED or MFA_LOCKED (Retry-After)',
    503: 'SMS_NOT_SENT: retry with the same token',
  })
  resendSms(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: TransactionOnlyDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(journeyId, 'SMS_OTP', 'resend', body.transactionToken, {}, requestOrigin(request));
  }

  @Post(':journeyId/sms-otp')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Second factor: verify the SMS code',
    description:
      'A wrong code answers with attemptsLeft and the same transaction token stays valid; the last wrong attempt fails the journey. ' +
      'Wrong codes also count per customer across journeys: MFA_CODE_FAILURE_LIMIT of them lock every second factor for MFA_LOCK_SECONDS. ' +
      'The right code completes the step (amr gains otp and sms) and the journey moves on.',
  })
  @ApiOkResponse({ schema: JOURNEY_RESPONSE, description: 'The next step, or the completed journey' })
  @ApiProblems({
    400: 'TRANSACTION_INVALID, or OTP_EXPIRED (ask for a new code)',
    401: 'OTP_INVALID: wrong code (attemptsLeft)',
    403: 'JOURNEY_FAILED: the last attempt was wrong',
    409: 'CODE_NOT_SENT',
    429: 'MFA_LOCKED: too many wrong codes for this customer; the code is not checked (Retry-After)',
  })
  verifySms(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: SmsCodeDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(
      journeyId,
      'SMS_OTP',
      'verify',
      body.transactionToken,
      { code: body.code },
      requestOrigin(request),
    );
  }

  @Post(':journeyId/device-proof')
  @HttpCode(200)
  @ApiOperation({
    summary: 'A bound device proves possession of its key',
    description:
      'Offered when the journey was started with device.keyThumbprint of an active device of this customer and risk allows. ' +
      'A valid proof stands in for MFA; an invalid or stale one does not fail the journey, MFA comes back instead.',
  })
  @ApiOkResponse({ schema: JOURNEY_RESPONSE, description: 'The next step, or the completed journey' })
  @ApiProblems({ 400: 'TRANSACTION_INVALID' })
  deviceProof(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: DeviceProofDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(
      journeyId,
      'DEVICE_PROOF',
      'verify',
      body.transactionToken,
      { proof: body.proof },
      requestOrigin(request),
    );
  }

  @Post(':journeyId/push/send')
  @HttpCode(200)
  @ApiOperation({
    summary: "Second factor: send a push approval to the customer's bound devices",
    description:
      'The response shows the number the customer must enter on the device. Only devices bound after a second factor receive it. ' +
      'After an unanswered prompt expires, the same token sends another, within PUSH_PROMPTS_PER_JOURNEY and PUSH_PROMPTS_PER_CUSTOMER_15M.',
  })
  @ApiOkResponse({ schema: JOURNEY_RESPONSE, description: 'The next step, or the completed journey' })
  @ApiProblems({
    400: 'TRANSACTION_INVALID',
    409: 'PUSH_ALREADY_SENT',
    429: 'PUSH_LIMIT_REACHED: the push budget is spent; `alternatives` lists the factors the same token can do instead (SMS_OTP); or MFA_LOCKED (Retry-After)',
    503: 'PUSH_NOT_SENT: no device could be reached; retry with the same token',
  })
  sendPush(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: TransactionOnlyDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(journeyId, 'PUSH', 'send', body.transactionToken, {}, requestOrigin(request));
  }

  @Post(':journeyId/push')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Second factor: the outcome of the push (long-poll)',
    description:
      "Waits up to waitSeconds for the device's answer (no busy loop: the answer wakes the request), then reports it: " +
      'still waiting (same transaction token), approved (the journey moves on), expired (the same token sends another or chooses another factor), ' +
      'or denied or rejected (the journey ends).',
  })
  @ApiOkResponse({ schema: JOURNEY_RESPONSE, description: 'The next step, or the completed journey' })
  @ApiProblems({
    400: 'TRANSACTION_INVALID',
    403: 'PUSH_DENIED or PUSH_REJECTED (wrong number, foreign signature)',
    409: 'PUSH_NOT_SENT_YET',
    410: 'PUSH_EXPIRED: send again or choose another factor with the same token',
    429: 'MFA_LOCKED (Retry-After)',
  })
  async pollPush(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: PushPollDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    // Only the holder of the journey's push token may hold a request open; anyone else is answered at once.
    if (body.waitSeconds && (await this.journeys.holdsPendingToken(journeyId, 'PUSH', body.transactionToken))) {
      await this.pushAnswers.waitForAnswer(journeyId, body.waitSeconds);
    }
    return this.journeys.submit(journeyId, 'PUSH', 'poll', body.transactionToken, {}, requestOrigin(request));
  }

  @Post(':journeyId/esign')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign (or decline) the document shown in nextStep',
    description:
      'Records what was signed (id, version, SHA-256), when, from which IP and device. Declining ends the journey.',
  })
  @ApiOkResponse({ schema: JOURNEY_RESPONSE, description: 'The next step, or the completed journey' })
  @ApiProblems({
    400: 'TRANSACTION_INVALID',
    403: 'ESIGN_DECLINED',
    409: 'DOCUMENT_MISMATCH: not the document awaiting signature',
  })
  esign(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: EsignDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(
      journeyId,
      'ESIGN',
      'verify',
      body.transactionToken,
      { documentId: body.documentId, version: body.version, sha256: body.sha256, accept: body.accept },
      requestOrigin(request),
    );
  }

  @Post(':journeyId/device-bind')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Bind this device',
    description:
      "The device proves possession of its new P-256 key by signing the step's challenge. Offered only after a second factor in the same " +
      'journey: a password alone never binds a device.',
  })
  @ApiOkResponse({ schema: JOURNEY_RESPONSE, description: 'The next step, or the completed journey' })
  @ApiProblems({
    400: 'TRANSACTION_INVALID or DEVICE_PROOF_INVALID',
    403: 'DEVICE_BIND_NEEDS_SECOND_FACTOR: the only second factor was a push this very key approved',
    409: 'DEVICE_KEY_IN_USE: the key belongs to another customer or was revoked',
  })
  bindDevice(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: DeviceBindDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(
      journeyId,
      'DEVICE_BIND',
      'verify',
      body.transactionToken,
      {
        publicKey: { ...body.publicKey },
        proof: body.proof,
        name: body.name,
        platform: body.platform,
        pushAddress: body.pushAddress,
      },
      requestOrigin(request),
    );
  }
}
