import {
  applyDecorators,
  Body,
  Controller,
  HttpCode,
  Inject,
  Param,
  ParseUUIDPipe,
  Post,
  Req,
  Res,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiOperationOptions,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomSecret } from '../common/crypto';
import { setFederationLinkCookie } from '../common/federation-link-cookie';
import { ApiJourneyProblems } from '../common/problem.dto';
import type { ProblemCode } from '../common/problem-catalogue';
import { bindFederationLink, federationLinkBindingOf, requestOrigin } from '../common/request-origin';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import {
  DeviceBindDto,
  DeviceProofDto,
  EmailCodeDto,
  EsignDto,
  ConsentDto,
  PasskeyAssertionDto,
  PasskeyEnrolDto,
  PasswordStepDto,
  PushPollDto,
  SmsCodeDto,
  StartJourneyDto,
  TotpCodeDto,
  RecoveryCodeDto,
  ResetUsernameDto,
  SetPasswordDto,
  TransactionOnlyDto,
  FederatedCallbackDto,
  FederatedStartDto,
} from './dto/journey.dto';
import { JOURNEY_RESPONSE, JOURNEY_RESPONSE_MODELS } from './dto/journey-response.dto';
import { PushAnswersService } from '../mfa/push/push-answers.service';
import type { JourneyOptions } from './auth-context.entity';
import { JourneyService, JourneyView } from './journey.service';
import { ProviderSessionCookieInterceptor } from './provider-session-cookie.interceptor';

/** What every step operation can answer: a bad body or token, a step out of turn or still running, a dependency down. */
const STEP_PROBLEMS: ProblemCode[] = [
  'VALIDATION_FAILED',
  'TRANSACTION_INVALID',
  'STEP_OUT_OF_ORDER',
  'STEP_IN_PROGRESS',
  'DEPENDENCY_UNAVAILABLE',
];
const START_PROBLEMS: ProblemCode[] = ['VALIDATION_FAILED', 'INVALID_JOURNEY_REQUEST', 'DEPENDENCY_UNAVAILABLE'];

/**
 * A journey step's route: POST with 200, the problems it may answer, its summary and description, and the journey
 * answer (the next step or the completed journey), as openapi.yaml documents every step route.
 */
function StepRoute(path: string, problems: ProblemCode[], operation: ApiOperationOptions): MethodDecorator {
  return applyDecorators(
    Post(path),
    HttpCode(200),
    ApiOperation(operation),
    ApiOkResponse({ schema: JOURNEY_RESPONSE, description: 'The next step, or the completed journey' }),
    ApiJourneyProblems(...problems),
  );
}

@ApiTags('journeys')
@ApiExtraModels(...JOURNEY_RESPONSE_MODELS)
@Controller('journeys')
@UseInterceptors(ProviderSessionCookieInterceptor)
export class JourneysController {
  constructor(
    private readonly journeys: JourneyService,
    private readonly pushAnswers: PushAnswersService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Start a login journey',
    description:
      'Opens a journey for a registered client. The response names the first step and carries its single-use transaction token.',
  })
  @ApiCreatedResponse({ schema: JOURNEY_RESPONSE, description: 'The journey and its first step' })
  @ApiJourneyProblems(...START_PROBLEMS)
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
        ...optionsOf(body),
      },
      requestOrigin(request),
    );
  }

  @StepRoute(
    ':journeyId/password',
    [...STEP_PROBLEMS, 'INVALID_CREDENTIALS', 'TOO_MANY_ATTEMPTS', 'ACCESS_DENIED', 'JOURNEY_FAILED'],
    {
      summary: 'Submit username and password',
      description:
        'Verifies the credentials against the directory, evaluates device risk, and answers with the next step ' +
        '(e.g. a second factor) or, when nothing is left, a one-time authorization code and the redirect back to the client.',
    },
  )
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

  @Post(':journeyId/reset/username')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Forgot password: name the account',
    description:
      'The first step of a journey started with purpose `password_reset`. The answer is the same whether or not the ' +
      'account exists (the factors offered too, with nothing about the account shown): the choice of a factor to prove. ' +
      'Starts count against the address like failed passwords.',
  })
  @ApiOkResponse({ schema: JOURNEY_RESPONSE, description: 'The choice of a factor' })
  @ApiJourneyProblems(...STEP_PROBLEMS, 'TOO_MANY_ATTEMPTS', 'JOURNEY_FAILED')
  resetUsername(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: ResetUsernameDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(
      journeyId,
      'RESET_USERNAME',
      'verify',
      body.transactionToken,
      { username: body.username },
      requestOrigin(request),
    );
  }

  @Post(':journeyId/reset/password')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Forgot password: set the new password',
    description:
      'Once a factor passed. The password policy is checked first (422 PASSWORD_POLICY_VIOLATION names the rules ' +
      'broken; the same token may try another), then the directory sets it, every session of the customer is ' +
      'revoked and the customer notified. The journey completes with `passwordReset: true` and no code or session: ' +
      'sign in with the new password.',
  })
  @ApiOkResponse({ schema: JOURNEY_RESPONSE, description: 'The completed journey' })
  @ApiJourneyProblems(...STEP_PROBLEMS, 'PASSWORD_POLICY_VIOLATION', 'JOURNEY_FAILED')
  setPassword(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: SetPasswordDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(
      journeyId,
      'SET_PASSWORD',
      'verify',
      body.transactionToken,
      { newPassword: body.newPassword },
      requestOrigin(request),
    );
  }

  @StepRoute(
    ':journeyId/sms-otp/send',
    [...STEP_PROBLEMS, 'CODE_ALREADY_SENT', 'CODE_NOT_SENT', 'SMS_LIMIT_REACHED', 'MFA_LOCKED', 'SMS_NOT_SENT'],
    {
      summary: 'Second factor: send a code by SMS',
      description:
        'The customer chose SMS among the offered factors (nextStep.options). Sends a 6-digit code to the phone shown masked; ' +
        'the response carries a new transaction token to verify it with, the code expiry and when a resend becomes possible.',
    },
  )
  sendSms(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: TransactionOnlyDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(journeyId, 'SMS_OTP', 'send', body.transactionToken, {}, requestOrigin(request));
  }

  @StepRoute(
    ':journeyId/sms-otp/resend',
    [
      ...STEP_PROBLEMS,
      'CODE_NOT_SENT',
      'RESEND_TOO_SOON',
      'RESEND_LIMIT_REACHED',
      'SMS_LIMIT_REACHED',
      'MFA_LOCKED',
      'SMS_NOT_SENT',
    ],
    {
      summary: 'Second factor: send a new SMS code',
      description: 'Voids the previous code. Limited per journey, after a cool-down, and by a budget per phone number.',
    },
  )
  resendSms(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: TransactionOnlyDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(journeyId, 'SMS_OTP', 'resend', body.transactionToken, {}, requestOrigin(request));
  }

  @StepRoute(
    ':journeyId/sms-otp',
    [...STEP_PROBLEMS, 'OTP_EXPIRED', 'OTP_INVALID', 'JOURNEY_FAILED', 'CODE_NOT_SENT', 'MFA_LOCKED'],
    {
      summary: 'Second factor: verify the SMS code',
      description:
        'A wrong code answers with attemptsLeft and the same transaction token stays valid; the last wrong attempt fails the journey. ' +
        'Wrong codes also count per customer across journeys: MFA_CODE_FAILURE_LIMIT of them lock every second factor for MFA_LOCK_SECONDS. ' +
        'The right code completes the step (amr gains otp and sms) and the journey moves on.',
    },
  )
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

  @StepRoute(
    ':journeyId/email-otp/send',
    [...STEP_PROBLEMS, 'CODE_ALREADY_SENT', 'CODE_NOT_SENT', 'EMAIL_LIMIT_REACHED', 'MFA_LOCKED', 'EMAIL_NOT_SENT'],
    {
      summary: 'Second factor: send a code by email',
      description:
        'The customer chose email among the offered factors (nextStep.options; offered when they have a verified address, POST /me/email). ' +
        'Mails a 6-digit code to the address shown masked, on the rules of the SMS code; the response carries a new transaction ' +
        'token to verify it with, the code expiry and when a resend becomes possible.',
    },
  )
  sendEmail(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: TransactionOnlyDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(journeyId, 'EMAIL_OTP', 'send', body.transactionToken, {}, requestOrigin(request));
  }

  @StepRoute(
    ':journeyId/email-otp/resend',
    [
      ...STEP_PROBLEMS,
      'CODE_NOT_SENT',
      'RESEND_TOO_SOON',
      'RESEND_LIMIT_REACHED',
      'EMAIL_LIMIT_REACHED',
      'MFA_LOCKED',
      'EMAIL_NOT_SENT',
    ],
    {
      summary: 'Second factor: send a new email code',
      description:
        'Voids the previous code. Limited per journey, after a cool-down, and by the budget per address (EMAIL_RECIPIENT_LIMIT_*).',
    },
  )
  resendEmail(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: TransactionOnlyDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(journeyId, 'EMAIL_OTP', 'resend', body.transactionToken, {}, requestOrigin(request));
  }

  @StepRoute(
    ':journeyId/email-otp',
    [...STEP_PROBLEMS, 'OTP_EXPIRED', 'OTP_INVALID', 'JOURNEY_FAILED', 'CODE_NOT_SENT', 'MFA_LOCKED'],
    {
      summary: 'Second factor: verify the email code',
      description:
        'Like the SMS code: a wrong code answers with attemptsLeft and the same transaction token stays valid; the last wrong ' +
        'attempt fails the journey; wrong codes count towards the MFA lock. The right code completes the step (amr gains otp: ' +
        'RFC 8176 has no value for email).',
    },
  )
  verifyEmail(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: EmailCodeDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(
      journeyId,
      'EMAIL_OTP',
      'verify',
      body.transactionToken,
      { code: body.code },
      requestOrigin(request),
    );
  }

  @StepRoute(':journeyId/totp/verify', [...STEP_PROBLEMS, 'OTP_INVALID', 'JOURNEY_FAILED', 'MFA_LOCKED'], {
    summary: 'Second factor: verify the code of the authenticator app (TOTP)',
    description:
      'Offered when the customer has a confirmed authenticator app (POST /me/totp). A code is accepted once (a replay of ' +
      'the same time step is wrong); one step of clock drift either way is allowed. Wrong codes count like SMS codes. ' +
      'The right code completes the step (amr gains otp).',
  })
  verifyTotp(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: TotpCodeDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(
      journeyId,
      'TOTP',
      'verify',
      body.transactionToken,
      { code: body.code },
      requestOrigin(request),
    );
  }

  @StepRoute(':journeyId/recovery-code', [...STEP_PROBLEMS, 'OTP_INVALID', 'JOURNEY_FAILED', 'MFA_LOCKED'], {
    summary: 'Second factor: a recovery code',
    description:
      'Offered while the customer has unused recovery codes (POST /me/recovery-codes). The code is used up (once, even ' +
      'under concurrency), audited, and the customer is notified on another channel. Wrong codes count like one-time codes.',
  })
  recoveryCode(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: RecoveryCodeDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(
      journeyId,
      'RECOVERY_CODE',
      'verify',
      body.transactionToken,
      { code: body.code },
      requestOrigin(request),
    );
  }

  @StepRoute(':journeyId/device-proof', [...STEP_PROBLEMS, 'JOURNEY_FAILED'], {
    summary: 'A bound device proves possession of its key',
    description:
      'Offered when the journey was started with device.keyThumbprint of an active device of this customer and risk allows. ' +
      'A valid proof stands in for MFA; an invalid or stale one does not fail the journey, MFA comes back instead.',
  })
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

  @StepRoute(
    ':journeyId/push/send',
    [...STEP_PROBLEMS, 'PUSH_ALREADY_SENT', 'PUSH_LIMIT_REACHED', 'MFA_LOCKED', 'PUSH_NOT_SENT'],
    {
      summary: "Second factor: send a push approval to the customer's bound devices",
      description:
        'The response shows the number the customer must enter on the device. Only devices bound after a second factor receive it. ' +
        'After an unanswered prompt expires, the same token sends another, within PUSH_PROMPTS_PER_JOURNEY and PUSH_PROMPTS_PER_CUSTOMER_15M.',
    },
  )
  sendPush(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: TransactionOnlyDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(journeyId, 'PUSH', 'send', body.transactionToken, {}, requestOrigin(request));
  }

  @StepRoute(
    ':journeyId/push',
    [...STEP_PROBLEMS, 'PUSH_DENIED', 'PUSH_REJECTED', 'PUSH_NOT_SENT_YET', 'PUSH_EXPIRED', 'MFA_LOCKED'],
    {
      summary: 'Second factor: the outcome of the push (long-poll)',
      description:
        "Waits up to waitSeconds for the device's answer (no busy loop: the answer wakes the request), then reports it: " +
        'still waiting (same transaction token), approved (the journey moves on), expired (the same token sends another or chooses another factor), ' +
        'or denied or rejected (the journey ends).',
    },
  )
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

  @StepRoute(':journeyId/esign', [...STEP_PROBLEMS, 'ESIGN_DECLINED', 'JOURNEY_FAILED', 'DOCUMENT_MISMATCH'], {
    summary: 'Sign (or decline) the document shown in nextStep',
    description:
      'Records what was signed (id, version, SHA-256), when, from which IP and device. Declining ends the journey.',
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

  @Post(':journeyId/consent')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Allow the application the scopes shown in nextStep (all or some), or none',
    description:
      'The last step of an authorization for a third-party application (or prompt=consent). The scopes granted are ' +
      'recorded and the tokens carry only those; openid must be among them. An empty list denies: the journey ends ' +
      'with CONSENT_DENIED, whose `redirectTo` sends the browser back to the application with error=access_denied.',
  })
  @ApiOkResponse({ schema: JOURNEY_RESPONSE, description: 'The completed journey' })
  @ApiJourneyProblems(...STEP_PROBLEMS, 'CONSENT_DENIED', 'CONSENT_SCOPES_INVALID', 'JOURNEY_FAILED')
  consent(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: ConsentDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(
      journeyId,
      'CONSENT',
      'verify',
      body.transactionToken,
      { scopes: body.scopes },
      requestOrigin(request),
    );
  }

  @StepRoute(
    ':journeyId/device-bind',
    [
      ...STEP_PROBLEMS,
      'DEVICE_PROOF_INVALID',
      'DEVICE_BIND_NEEDS_SECOND_FACTOR',
      'JOURNEY_FAILED',
      'DEVICE_KEY_IN_USE',
    ],
    {
      summary: 'Bind this device',
      description:
        "The device proves possession of its new P-256 key by signing the step's challenge. Offered only after a second factor in the same " +
        'journey: a password alone never binds a device.',
    },
  )
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

  @Post(':journeyId/passkey/options')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Second factor: ask for passkey request options',
    description:
      'The customer chose PASSKEY among the offered factors (nextStep.options). Answers nextStep.publicKey, the WebAuthn request ' +
      "options (the customer's passkeys as allowCredentials), and a new transaction token that carries their challenge: pass " +
      'publicKey to PublicKeyCredential.parseRequestOptionsFromJSON and navigator.credentials.get, then verify with that token.',
  })
  @ApiOkResponse({ schema: JOURNEY_RESPONSE, description: 'The passkey step with its options' })
  @ApiJourneyProblems(...STEP_PROBLEMS, 'MFA_LOCKED')
  passkeyOptions(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: TransactionOnlyDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(journeyId, 'PASSKEY', 'options', body.transactionToken, {}, requestOrigin(request));
  }

  @StepRoute(
    ':journeyId/passkey',
    [...STEP_PROBLEMS, 'PASSKEY_OPTIONS_REQUIRED', 'PASSKEY_INVALID', 'JOURNEY_FAILED', 'MFA_LOCKED'],
    {
      summary: 'Second factor: verify a passkey assertion',
      description:
        'The assertion must sign the challenge of this transaction, from an allowed origin (WEBAUTHN_ORIGINS), by a live passkey ' +
        'of this customer whose signature counter grew. A refusal keeps the token (attemptsLeft); the last one ends the journey.',
    },
  )
  verifyPasskey(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: PasskeyAssertionDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(
      journeyId,
      'PASSKEY',
      'verify',
      body.transactionToken,
      { credential: body.credential },
      requestOrigin(request),
    );
  }

  @Post(':journeyId/passkey-login/options')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Passwordless instead of the password: switch to a passkey',
    description:
      "With the password step's transaction token: answers the PASSKEY_LOGIN step with request options for a discoverable " +
      'credential and a new token (the hosted login page\'s "Sign in with a passkey"). The password token is spent.',
  })
  @ApiOkResponse({ schema: JOURNEY_RESPONSE, description: 'The passwordless step with its options' })
  @ApiJourneyProblems(...STEP_PROBLEMS)
  passkeyLoginOptions(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: TransactionOnlyDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(
      journeyId,
      'PASSKEY_LOGIN',
      'options',
      body.transactionToken,
      {},
      requestOrigin(request),
    );
  }

  @StepRoute(':journeyId/passkey-login', [...STEP_PROBLEMS, 'PASSKEY_INVALID', 'ACCESS_DENIED', 'JOURNEY_FAILED'], {
    summary: 'Passwordless: sign in with a passkey',
    description:
      'For a journey started with `method: passkey`: the assertion of a discoverable credential over the challenge of ' +
      'nextStep.publicKey, with user verification. The credential names the customer; the directory must still let them in. ' +
      'A user-verified passkey counts as two factors (loa2).',
  })
  passkeyLogin(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: PasskeyAssertionDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(
      journeyId,
      'PASSKEY_LOGIN',
      'verify',
      body.transactionToken,
      { credential: body.credential },
      requestOrigin(request),
    );
  }

  @Post(':journeyId/passkey-enrol/options')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Passkey offer: ask for creation options',
    description:
      'The customer accepted the offer of a passkey (nextStep PASSKEY_ENROL, phase OFFER). Answers nextStep.publicKey, the ' +
      'WebAuthn creation options (a discoverable credential with user verification), and a new token that carries their ' +
      'challenge: pass publicKey to PublicKeyCredential.parseCreationOptionsFromJSON and navigator.credentials.create.',
  })
  @ApiOkResponse({ schema: JOURNEY_RESPONSE, description: 'The passkey offer with its creation options' })
  @ApiJourneyProblems(...STEP_PROBLEMS, 'PASSKEY_REGISTRATION_INVALID')
  passkeyEnrolOptions(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: TransactionOnlyDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(
      journeyId,
      'PASSKEY_ENROL',
      'options',
      body.transactionToken,
      {},
      requestOrigin(request),
    );
  }

  @StepRoute(
    ':journeyId/passkey-enrol',
    [...STEP_PROBLEMS, 'PASSKEY_OPTIONS_REQUIRED', 'PASSKEY_REGISTRATION_INVALID', 'JOURNEY_FAILED'],
    {
      summary: 'Passkey offer: register the new passkey',
      description:
        'Verified as POST /me/passkeys verifies: the challenge of this transaction (single use), this RP ID and WEBAUTHN_ORIGINS, ' +
        'user verification. The customer is notified on another channel. A refusal keeps the token (attemptsLeft).',
    },
  )
  passkeyEnrol(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: PasskeyEnrolDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(
      journeyId,
      'PASSKEY_ENROL',
      'register',
      body.transactionToken,
      { credential: body.credential, name: body.name },
      requestOrigin(request),
    );
  }

  @StepRoute(':journeyId/passkey-enrol/skip', [...STEP_PROBLEMS], {
    summary: 'Passkey offer: not now',
    description:
      'The customer declines the passkey (audited); the journey goes on without one, and is not asked again.',
  })
  skipPasskeyEnrol(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: TransactionOnlyDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(journeyId, 'PASSKEY_ENROL', 'skip', body.transactionToken, {}, requestOrigin(request));
  }

  @Post(':journeyId/federated/start')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in with an upstream identity provider: its authorization URL',
    description:
      "With the password step's transaction token (or the FEDERATED step's, after idp_hint): answers the FEDERATED " +
      'step in phase REDIRECT with `authorizationUrl` (PKCE S256, state and nonce; their secrets stay on the server) ' +
      'and a new token to keep while the browser is at the provider. The provider redirects to /federation/callback.',
  })
  @ApiOkResponse({ schema: JOURNEY_RESPONSE, description: 'The FEDERATED step with the URL to send the browser to' })
  @ApiJourneyProblems(...STEP_PROBLEMS)
  federatedStart(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: FederatedStartDto,
    @Req() request: FastifyRequest,
  ): Promise<JourneyView> {
    return this.journeys.submit(
      journeyId,
      'FEDERATED',
      'start',
      body.transactionToken,
      { providerId: body.providerId },
      requestOrigin(request),
    );
  }

  @StepRoute(':journeyId/federated/callback', [...STEP_PROBLEMS, 'ACCESS_DENIED', 'JOURNEY_FAILED'], {
    summary: "Sign in with an upstream identity provider: the provider's answer",
    description:
      "The query of the provider's redirect, with the token of the REDIRECT phase. The code is exchanged and the ID " +
      'token verified (state, iss, signature, aud, nonce). A subject linked to a customer signs them in and the ' +
      'journey goes on by policy; an unlinked one asks the password next (the link is made when the journey ' +
      'completes); a refusal or an error from the provider ends the journey (JOURNEY_FAILED).',
  })
  async federatedCallback(
    @Param('journeyId', new ParseUUIDPipe()) journeyId: string,
    @Body() body: FederatedCallbackDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JourneyView> {
    // A subject linked to no CUPID yet is linked only in this browser (federation-link-cookie.ts: login CSRF).
    // Kept beside the origin, not in the body: a retry of the same request must stay the very same request.
    const origin = requestOrigin(request);
    const binding = federationLinkBindingOf(origin, this.config.oidc.issuer, journeyId) ?? randomSecret(32);
    bindFederationLink(origin, binding);
    const view = await this.journeys.submit(
      journeyId,
      'FEDERATED',
      'callback',
      body.transactionToken,
      { response: body.response },
      origin,
    );
    if (view.status === 'PENDING')
      void reply.header(
        'Set-Cookie',
        setFederationLinkCookie(this.config.oidc.issuer, journeyId, binding, this.config.journeys.contextTtlSeconds),
      );
    return view;
  }
}

/** The journey options a REST start asks for (none: no options at all, as before). A reset mints no code to bind. */
function optionsOf(body: StartJourneyDto): { options?: JourneyOptions } {
  if (body.purpose === 'password_reset') return { options: { purpose: 'password_reset' } };
  const options: JourneyOptions = {
    ...(body.method === 'passkey' ? { passwordless: true } : {}),
    ...(body.dpopJkt ? { dpopJkt: body.dpopJkt } : {}),
  };
  return Object.keys(options).length > 0 ? { options } : {};
}
