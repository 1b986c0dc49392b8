import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import type { ApiResponseOptions } from '@nestjs/swagger';

/** A schema as @nestjs/swagger takes it (its SchemaObject type is not exported). */
type SchemaObject = NonNullable<Extract<ApiResponseOptions, { schema?: unknown }>['schema']>;

/**
 * What a journey answers, as a frontend builds its screens from it: a pending journey names its next
 * step (one schema per step, and per phase where a step has phases) with what that screen shows; a
 * completed one carries the authorization code and the redirect back to the client. The unions
 * (`oneOf` + `discriminator`) cannot be expressed with class decorators, so they are plain schemas
 * (JOURNEY_UNION_SCHEMAS) that src/openapi.ts adds to the document. Each step's description names the
 * operation that answers it (docs/api-contract.md has the same map as a table).
 */

const TOKEN_EXAMPLE = 'kq3C1uYv0t8a9y2mVb2m1sKQd0n8s5Yy2p3uXo7rZ4w';
const EXPIRES_EXAMPLE = '2026-11-24T19:05:00.000Z';

export class PasswordNextStep {
  @ApiProperty({ enum: ['PASSWORD'], example: 'PASSWORD' })
  type: 'PASSWORD';
}

export class SmsOtpOption {
  @ApiProperty({ enum: ['SMS_OTP'], example: 'SMS_OTP' })
  type: 'SMS_OTP';

  @ApiPropertyOptional({
    example: '+44•••••002',
    description:
      "The customer's phone, masked (never the number itself); absent in a forgot-password journey, which shows nothing about the account",
  })
  maskedPhone?: string;
}

export class PushOption {
  @ApiProperty({ enum: ['PUSH'], example: 'PUSH' })
  type: 'PUSH';

  @ApiProperty({
    type: [String],
    example: ['Pixel 9'],
    description: 'Names of the bound devices the approval request goes to',
  })
  devices: string[];
}

/** A forgot-password journey's first step: the username alone. */
export class ResetUsernameNextStep {
  @ApiProperty({ enum: ['RESET_USERNAME'], example: 'RESET_USERNAME' })
  type: 'RESET_USERNAME';
}

/** A forgot-password journey's last step, once a factor passed: the new password. */
export class SetPasswordNextStep {
  @ApiProperty({ enum: ['SET_PASSWORD'], example: 'SET_PASSWORD' })
  type: 'SET_PASSWORD';
}

export class TotpOption {
  @ApiProperty({ enum: ['TOTP'], example: 'TOTP' })
  type: 'TOTP';
}

export class EmailOtpOption {
  @ApiProperty({ enum: ['EMAIL_OTP'], example: 'EMAIL_OTP' })
  type: 'EMAIL_OTP';

  @ApiPropertyOptional({
    example: 'a***@example.com',
    description:
      "The customer's verified address, masked (never the address itself); absent in a forgot-password journey, which shows nothing about the account",
  })
  maskedEmail?: string;
}

export class RecoveryCodeOption {
  @ApiProperty({ enum: ['RECOVERY_CODE'], example: 'RECOVERY_CODE' })
  type: 'RECOVERY_CODE';
}

const CHOOSE = {
  enum: ['CHOOSE'],
  example: 'CHOOSE',
  description: 'The customer picks one of `options`; the transaction token works with the send operation of each',
};
const OPTIONS = {
  type: 'array' as const,
  minItems: 1,
  items: { $ref: '#/components/schemas/SecondFactorOption' },
  description: 'Every second factor the customer can do now, with what to show of it',
};

/** The choice of a second factor; `type` is the first option, and any option's send operation may answer it. */
export class SmsOtpChooseNextStep {
  @ApiProperty({ enum: ['SMS_OTP'], example: 'SMS_OTP' })
  type: 'SMS_OTP';

  @ApiProperty(CHOOSE)
  phase: 'CHOOSE';

  @ApiProperty({
    ...OPTIONS,
    example: [
      { type: 'SMS_OTP', maskedPhone: '+44•••••002' },
      { type: 'PUSH', devices: ['Pixel 9'] },
    ],
  })
  options: Array<SmsOtpOption | PushOption>;
}

export class SmsOtpVerifyNextStep {
  @ApiProperty({ enum: ['SMS_OTP'], example: 'SMS_OTP' })
  type: 'SMS_OTP';

  @ApiProperty({ enum: ['VERIFY'], example: 'VERIFY' })
  phase: 'VERIFY';

  @ApiProperty({
    example: '+44•••••002',
    nullable: true,
    type: String,
    description:
      'Where the code went, masked; null in a forgot-password journey, which shows nothing about the account',
  })
  maskedPhone: string | null;

  @ApiProperty({ example: 6, description: 'Digits in the code' })
  codeLength: number;

  @ApiProperty({ example: EXPIRES_EXAMPLE, format: 'date-time', description: 'The code is refused after this' })
  codeExpiresAt: string;

  @ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    example: '2026-11-24T19:00:30.000Z',
    description: 'When journeyResendSms may be called; null once the resends of this journey are used up',
  })
  resendAvailableAt: string | null;

  @ApiProperty({ example: 5, description: 'Wrong codes this journey still allows' })
  attemptsLeft: number;
}

/** The choice of a second factor led by the email code (a customer whose first factor on offer is email). */
export class EmailOtpChooseNextStep {
  @ApiProperty({ enum: ['EMAIL_OTP'], example: 'EMAIL_OTP' })
  type: 'EMAIL_OTP';

  @ApiProperty(CHOOSE)
  phase: 'CHOOSE';

  @ApiProperty({ ...OPTIONS, example: [{ type: 'EMAIL_OTP', maskedEmail: 'a***@example.com' }] })
  options: Array<EmailOtpOption | SmsOtpOption | PushOption>;
}

export class EmailOtpVerifyNextStep {
  @ApiProperty({ enum: ['EMAIL_OTP'], example: 'EMAIL_OTP' })
  type: 'EMAIL_OTP';

  @ApiProperty({ enum: ['VERIFY'], example: 'VERIFY' })
  phase: 'VERIFY';

  @ApiProperty({
    example: 'a***@example.com',
    nullable: true,
    type: String,
    description:
      'Where the code went, masked; null in a forgot-password journey, which shows nothing about the account',
  })
  maskedEmail: string | null;

  @ApiProperty({ example: 6, description: 'Digits in the code' })
  codeLength: number;

  @ApiProperty({ example: EXPIRES_EXAMPLE, format: 'date-time', description: 'The code is refused after this' })
  codeExpiresAt: string;

  @ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    example: '2026-11-24T19:00:30.000Z',
    description: 'When journeyResendEmail may be called; null once the resends of this journey are used up',
  })
  resendAvailableAt: string | null;

  @ApiProperty({ example: 5, description: 'Wrong codes this journey still allows' })
  attemptsLeft: number;
}

/** Push is the first option only when the customer has no phone for SMS. */
export class PushChooseNextStep {
  @ApiProperty({ enum: ['PUSH'], example: 'PUSH' })
  type: 'PUSH';

  @ApiProperty(CHOOSE)
  phase: 'CHOOSE';

  @ApiProperty({ ...OPTIONS, example: [{ type: 'PUSH', devices: ['Pixel 9'] }] })
  options: Array<SmsOtpOption | PushOption>;
}

export class PushWaitingNextStep {
  @ApiProperty({ enum: ['PUSH'], example: 'PUSH' })
  type: 'PUSH';

  @ApiProperty({ enum: ['WAITING'], example: 'WAITING' })
  phase: 'WAITING';

  @ApiProperty({ example: 42, minimum: 10, maximum: 99, description: 'The number the customer enters on the device' })
  number: number;

  @ApiProperty({
    example: EXPIRES_EXAMPLE,
    format: 'date-time',
    description: 'The prompt expires unanswered after this',
  })
  expiresAt: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['Pixel 9'],
    description: 'The devices the prompt went to (in the answer to the send; not repeated while polling)',
  })
  devices?: string[];
}

export class DeviceProofNextStep {
  @ApiProperty({ enum: ['DEVICE_PROOF'], example: 'DEVICE_PROOF' })
  type: 'DEVICE_PROOF';

  @ApiProperty({
    example: 'Jx3nq0mQ8yGZ2cF5vT1wR7bK9pL4sE6dH0aU2iO8zXc',
    description: 'Sign {"challenge": challenge, "journeyId": journeyId} with the bound key',
  })
  challenge: string;

  @ApiProperty({ example: '2026-11-24T19:01:00.000Z', format: 'date-time' })
  challengeExpiresAt: string;

  @ApiProperty({ enum: ['ES256'], example: 'ES256', description: 'The JWS algorithm of the proof' })
  alg: 'ES256';
}

export class PasskeyOption {
  @ApiProperty({ enum: ['PASSKEY'], example: 'PASSKEY' })
  type: 'PASSKEY';
}

const PUBLIC_KEY_REQUEST = {
  type: 'object' as const,
  additionalProperties: true,
  example: { challenge: 'ZmQ3N2E0...', rpId: 'login.example.com', timeout: 120000, userVerification: 'required' },
  description:
    'WebAuthn request options (PublicKeyCredentialRequestOptionsJSON): pass them to PublicKeyCredential.parseRequestOptionsFromJSON, ' +
    'then navigator.credentials.get({ publicKey }); send the credential’s toJSON()',
};

/** The choice of a second factor with the passkey first (a customer with no phone nor bound device). */
export class PasskeyChooseNextStep {
  @ApiProperty({ enum: ['PASSKEY'], example: 'PASSKEY' })
  type: 'PASSKEY';

  @ApiProperty(CHOOSE)
  phase: 'CHOOSE';

  @ApiProperty({ ...OPTIONS, example: [{ type: 'PASSKEY' }] })
  options: Array<SmsOtpOption | PushOption | PasskeyOption>;
}

/** The passkey's request options, after journeyPasskeyOptions: the assertion is sent to journeyVerifyPasskey. */
export class PasskeyAssertNextStep {
  @ApiProperty({ enum: ['PASSKEY'], example: 'PASSKEY' })
  type: 'PASSKEY';

  @ApiProperty({ enum: ['ASSERT'], example: 'ASSERT' })
  phase: 'ASSERT';

  @ApiProperty(PUBLIC_KEY_REQUEST)
  publicKey: Record<string, unknown>;
}

/** Passwordless: the options of a discoverable credential (no allowCredentials); the assertion goes to journeyPasskeyLogin. */
export class PasskeyLoginNextStep {
  @ApiProperty({ enum: ['PASSKEY_LOGIN'], example: 'PASSKEY_LOGIN' })
  type: 'PASSKEY_LOGIN';

  @ApiProperty(PUBLIC_KEY_REQUEST)
  publicKey: Record<string, unknown>;
}

/** The offer of a passkey after a multi-factor sign-in (PASSKEY_ENROLMENT_OFFER): "Create a passkey" or "Not now". */
export class PasskeyEnrolOfferNextStep {
  @ApiProperty({ enum: ['PASSKEY_ENROL'], example: 'PASSKEY_ENROL' })
  type: 'PASSKEY_ENROL';

  @ApiProperty({ enum: ['OFFER'], example: 'OFFER' })
  phase: 'OFFER';
}

/** The creation options of the offered passkey, after journeyPasskeyEnrolOptions: the credential goes to journeyPasskeyEnrol. */
export class PasskeyEnrolCreateNextStep {
  @ApiProperty({ enum: ['PASSKEY_ENROL'], example: 'PASSKEY_ENROL' })
  type: 'PASSKEY_ENROL';

  @ApiProperty({ enum: ['CREATE'], example: 'CREATE' })
  phase: 'CREATE';

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { challenge: 'ZmQ3N2E0...', rp: { id: 'login.example.com', name: 'Example' }, timeout: 120000 },
    description:
      'WebAuthn creation options (PublicKeyCredentialCreationOptionsJSON): pass them to ' +
      'PublicKeyCredential.parseCreationOptionsFromJSON, then navigator.credentials.create({ publicKey }); send the toJSON()',
  })
  publicKey: Record<string, unknown>;
}

export class EsignDocumentDto {
  @ApiProperty({ example: 'terms' }) documentId: string;
  @ApiProperty({ example: '2026-11' }) version: string;
  @ApiProperty({ example: 'Terms and conditions' }) title: string;
  @ApiProperty({
    example: 'https://bank.example/legal/terms-2026-11.pdf',
    description: 'Where the content is shown from',
  })
  url: string;
  @ApiProperty({
    example: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    description: 'SHA-256 (hex) of the content; sent back when signing',
  })
  sha256: string;
}

export class EsignNextStep {
  @ApiProperty({ enum: ['ESIGN'], example: 'ESIGN' })
  type: 'ESIGN';

  @ApiProperty({ type: EsignDocumentDto, description: 'The document to show and sign (or decline)' })
  document: EsignDocumentDto;
}

export class ConsentWordingDto {
  @ApiProperty({ example: 'See your name and username' }) en: string;
  @ApiProperty({ example: 'Ihren Namen und Benutzernamen sehen' }) de: string;
}

export class ConsentClaimDto {
  @ApiProperty({ example: 'name' }) claim: string;
  @ApiProperty({ type: ConsentWordingDto, example: { en: 'Your name', de: 'Ihr Name' } }) text: ConsentWordingDto;
}

export class ConsentScopeDto {
  @ApiProperty({ example: 'profile' }) scope: string;
  @ApiProperty({ example: false, description: 'openid: cannot be left out (no sign-in without it)' })
  required: boolean;
  @ApiProperty({
    example: false,
    description: 'Allowed earlier and not withdrawn: shown checked (unticked, it is withdrawn)',
  })
  granted: boolean;
  @ApiProperty({
    type: ConsentWordingDto,
    description: 'The scope in plain words',
    example: { en: 'See your name and username', de: 'Ihren Namen und Benutzernamen sehen' },
  })
  text: ConsentWordingDto;
  @ApiProperty({
    type: [ConsentClaimDto],
    description: "What it releases about the customer (narrowed to the client's allowed claims)",
    example: [{ claim: 'name', text: { en: 'Your name', de: 'Ihr Name' } }],
  })
  claims: ConsentClaimDto[];
}

export class ConsentClientDto {
  @ApiProperty({ example: 'budget-app' }) clientId: string;
  @ApiProperty({ example: 'Budget App' }) name: string;
}

export class ConsentNextStep {
  @ApiProperty({ enum: ['CONSENT'], example: 'CONSENT' })
  type: 'CONSENT';

  @ApiProperty({
    type: ConsentClientDto,
    description: 'The application asking',
    example: { clientId: 'budget-app', name: 'Budget App' },
  })
  client: ConsentClientDto;

  @ApiProperty({
    type: [ConsentScopeDto],
    description: 'Each scope asked, in plain words (en, de)',
    example: [
      {
        scope: 'profile',
        required: false,
        granted: false,
        text: { en: 'See your name and username', de: 'Ihren Namen und Benutzernamen sehen' },
        claims: [{ claim: 'name', text: { en: 'Your name', de: 'Ihr Name' } }],
      },
    ],
  })
  scopes: ConsentScopeDto[];
}

export class DeviceBindNextStep {
  @ApiProperty({ enum: ['DEVICE_BIND'], example: 'DEVICE_BIND' })
  type: 'DEVICE_BIND';

  @ApiProperty({
    example: 'p0O9i8U7y6T5r4E3w2Q1aSdFgHjKlZxCvBnM1234567',
    description: 'Sign {"challenge": challenge, "journeyId": journeyId} with the new key',
  })
  challenge: string;

  @ApiProperty({ enum: ['ES256'], example: 'ES256' })
  alg: 'ES256';

  @ApiProperty({ enum: ['EC P-256'], example: 'EC P-256', description: 'The key pair to generate' })
  keyType: 'EC P-256';
}

/** The choice of a second factor led by the authenticator-app code (TOTP); any option's operation may answer it. */
export class TotpNextStep {
  @ApiProperty({ enum: ['TOTP'], example: 'TOTP' })
  type: 'TOTP';

  @ApiProperty(CHOOSE)
  phase: 'CHOOSE';

  @ApiProperty({ ...OPTIONS, example: [{ type: 'TOTP' }, { type: 'SMS_OTP', maskedPhone: '+44•••••002' }] })
  options: Array<TotpOption | SmsOtpOption | PushOption>;
}

/** The choice of a second factor led by a recovery code; any option's operation may answer it. */
export class RecoveryCodeNextStep {
  @ApiProperty({ enum: ['RECOVERY_CODE'], example: 'RECOVERY_CODE' })
  type: 'RECOVERY_CODE';

  @ApiProperty(CHOOSE)
  phase: 'CHOOSE';

  @ApiProperty({ ...OPTIONS, example: [{ type: 'RECOVERY_CODE' }, { type: 'TOTP' }] })
  options: Array<RecoveryCodeOption | TotpOption | SmsOtpOption | PushOption>;
}

export class JourneyPendingDto {
  @ApiProperty({ example: '6c1f1e3e-8a43-4c1e-9d0e-0b9a5b8f6d21', format: 'uuid' })
  journeyId: string;

  @ApiProperty({ enum: ['PENDING'], example: 'PENDING' })
  status: 'PENDING';

  /** Documented as the JourneyNextStep union (src/openapi.ts). */
  @ApiProperty({ description: 'The step to do next' })
  nextStep: unknown;

  @ApiProperty({ example: TOKEN_EXAMPLE, description: 'Single use; send it with the operation that answers nextStep' })
  transactionToken: string;

  @ApiProperty({ example: EXPIRES_EXAMPLE, format: 'date-time' })
  transactionExpiresAt: string;
}

export class JourneyCompletedDto {
  @ApiProperty({ example: '6c1f1e3e-8a43-4c1e-9d0e-0b9a5b8f6d21', format: 'uuid' })
  journeyId: string;

  @ApiProperty({ enum: ['COMPLETED'], example: 'COMPLETED' })
  status: 'COMPLETED';

  @ApiPropertyOptional({
    example: 'SplxlOBeZQQYbYS6WxSbIA3kQ9vT0mYc8dN2pR5sU7w',
    description:
      'One-time code for /oauth2/token (with the PKCE verifier); absent only after a step-up without a redirect and a forgot-password journey',
  })
  authorizationCode?: string;

  @ApiPropertyOptional({
    example:
      'http://localhost:5173/callback?code=SplxlOBeZQQYbYS6WxSbIA3kQ9vT0mYc8dN2pR5sU7w&state=af0ifjsldkj&iss=http%3A%2F%2Flocalhost%3A3000',
    format: 'uri',
    description:
      "The client's redirect URI with code, state and iss (RFC 9207): a journey started by /oauth2/authorize sends the browser there; absent when there is no code",
  })
  redirectTo?: string;

  @ApiPropertyOptional({
    example: 'urn:ciam:loa:2',
    description: "A step-up only: the session's level of assurance now (the same session, raised)",
  })
  acr?: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['pwd', 'otp', 'sms'],
    description: "A step-up only: the session's authentication methods now",
  })
  amr?: string[];

  @ApiPropertyOptional({
    example: 'q2v0m3J8v1oQmJ1e2Cq9xQ0YwzQ3yq3b5b2VtYQ5v9o',
    description:
      'A step-up with a transaction only: base64url SHA-256 of the approved transaction (amount, currency, payee): dynamic linking',
  })
  transactionHash?: string;

  @ApiPropertyOptional({
    example: true,
    description:
      'A forgot-password journey only: the new password is set; there is no code and no session (authorizationCode and redirectTo are absent): sign in with it',
  })
  passwordReset?: boolean;
}

/** An upstream identity provider the customer may sign in with. */
export class FederatedProviderOption {
  @ApiProperty({ example: 'bankid' })
  id: string;

  @ApiProperty({ example: 'BankID' })
  displayName: string;
}

/** Sign in with an upstream provider (first with idp_hint): choose one; journeyFederatedStart answers it. */
export class FederatedChooseNextStep {
  @ApiProperty({ enum: ['FEDERATED'], example: 'FEDERATED' })
  type: 'FEDERATED';

  @ApiProperty({ enum: ['CHOOSE_PROVIDER'], example: 'CHOOSE_PROVIDER' })
  phase: 'CHOOSE_PROVIDER';

  @ApiProperty({ type: [FederatedProviderOption] })
  providers: FederatedProviderOption[];

  @ApiPropertyOptional({ example: 'bankid', description: "/oauth2/authorize's idp_hint: start with this provider" })
  idpHint?: string;
}

/** Send the browser to `authorizationUrl`; keep the token: the provider's answer comes back through /federation/callback. */
export class FederatedRedirectNextStep {
  @ApiProperty({ enum: ['FEDERATED'], example: 'FEDERATED' })
  type: 'FEDERATED';

  @ApiProperty({ enum: ['REDIRECT'], example: 'REDIRECT' })
  phase: 'REDIRECT';

  @ApiProperty({ example: 'bankid' })
  providerId: string;

  @ApiProperty({ example: 'https://idp.example.com/authorize?client_id=ciam&response_type=code&state=...' })
  authorizationUrl: string;
}

/** Every model the unions below refer to (registered with @ApiExtraModels on the controller). */
export const JOURNEY_RESPONSE_MODELS = [
  PasswordNextStep,
  SmsOtpOption,
  PushOption,
  SmsOtpChooseNextStep,
  SmsOtpVerifyNextStep,
  PushChooseNextStep,
  PushWaitingNextStep,
  DeviceProofNextStep,
  EsignDocumentDto,
  EsignNextStep,
  DeviceBindNextStep,
  TotpOption,
  TotpNextStep,
  PasskeyOption,
  PasskeyChooseNextStep,
  PasskeyAssertNextStep,
  PasskeyLoginNextStep,
  PasskeyEnrolOfferNextStep,
  PasskeyEnrolCreateNextStep,
  RecoveryCodeOption,
  RecoveryCodeNextStep,
  EmailOtpOption,
  EmailOtpChooseNextStep,
  EmailOtpVerifyNextStep,
  ResetUsernameNextStep,
  SetPasswordNextStep,
  FederatedProviderOption,
  FederatedChooseNextStep,
  FederatedRedirectNextStep,
  ConsentWordingDto,
  ConsentClaimDto,
  ConsentScopeDto,
  ConsentClientDto,
  ConsentNextStep,
  JourneyPendingDto,
  JourneyCompletedDto,
];

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
const ref = (model: Function | string) => getSchemaPath(model);

function union(
  description: string,
  propertyName: string,
  mapping: Record<string, string>,
): SchemaObject & { discriminator: { propertyName: string; mapping: Record<string, string> } } {
  const refs = [...new Set(Object.values(mapping))];
  return { description, oneOf: refs.map(($ref) => ({ $ref })), discriminator: { propertyName, mapping } };
}

/**
 * Which operation answers each step and phase: the step schemas' descriptions say it, and
 * docs/api-contract.md lists it (a test keeps the two in step with the controller).
 */
export const STEP_OPERATIONS: Record<string, { schema: string; operations: string[]; description: string }> = {
  PASSWORD: {
    schema: 'PasswordNextStep',
    operations: ['journeyPassword', 'journeyPasskeyLoginOptions', 'journeyFederatedStart'],
    description: 'Ask for username and password.',
  },
  'SMS_OTP/CHOOSE': {
    schema: 'SmsOtpChooseNextStep',
    operations: ['journeySendSms', 'journeySendPush', 'journeyVerifyTotp', 'journeyRecoveryCode', 'journeySendEmail'],
    description: "Offer the second factors in `options`; the chosen one's send operation answers it.",
  },
  'SMS_OTP/VERIFY': {
    schema: 'SmsOtpVerifyNextStep',
    operations: ['journeyVerifySms', 'journeyResendSms'],
    description: 'Ask for the code sent to `maskedPhone`; offer a resend from `resendAvailableAt`.',
  },
  'EMAIL_OTP/CHOOSE': {
    schema: 'EmailOtpChooseNextStep',
    operations: ['journeySendEmail', 'journeySendSms', 'journeySendPush', 'journeyVerifyTotp', 'journeyRecoveryCode'],
    description: "Offer the second factors in `options`; the chosen one's send operation answers it.",
  },
  'EMAIL_OTP/VERIFY': {
    schema: 'EmailOtpVerifyNextStep',
    operations: ['journeyVerifyEmail', 'journeyResendEmail'],
    description: 'Ask for the code mailed to `maskedEmail`; offer a resend from `resendAvailableAt`.',
  },
  'PUSH/CHOOSE': {
    schema: 'PushChooseNextStep',
    operations: ['journeySendPush', 'journeySendSms', 'journeyVerifyTotp', 'journeyRecoveryCode', 'journeySendEmail'],
    description: "Offer the second factors in `options`; the chosen one's send operation answers it.",
  },
  'PUSH/WAITING': {
    schema: 'PushWaitingNextStep',
    operations: ['journeyPollPush', 'journeySendPush'],
    description:
      'Show `number` for the customer to enter on the device and long-poll for the answer; after expiry the same token sends again.',
  },
  DEVICE_PROOF: {
    schema: 'DeviceProofNextStep',
    operations: ['journeyDeviceProof'],
    description: 'The bound device signs `challenge` with its key.',
  },
  ESIGN: {
    schema: 'EsignNextStep',
    operations: ['journeyEsign'],
    description: 'Show `document`; sign it (or decline, which ends the journey).',
  },
  'TOTP/CHOOSE': {
    schema: 'TotpNextStep',
    operations: ['journeyVerifyTotp', 'journeySendSms', 'journeySendPush', 'journeyRecoveryCode', 'journeySendEmail'],
    description:
      'Ask for the code of the authenticator app, or offer the other factors in `options` (each with its own operation).',
  },
  'RECOVERY_CODE/CHOOSE': {
    schema: 'RecoveryCodeNextStep',
    operations: ['journeyRecoveryCode', 'journeyVerifyTotp', 'journeySendSms', 'journeySendPush', 'journeySendEmail'],
    description:
      'Ask for one of the recovery codes, or offer the other factors in `options` (each with its own operation).',
  },
  DEVICE_BIND: {
    schema: 'DeviceBindNextStep',
    operations: ['journeyBindDevice'],
    description: 'Generate a P-256 key pair on the device and sign `challenge` with it.',
  },
  'PASSKEY/CHOOSE': {
    schema: 'PasskeyChooseNextStep',
    operations: ['journeyPasskeyOptions', 'journeySendSms', 'journeySendPush', 'journeySendEmail'],
    description: "Offer the second factors in `options`; the chosen one's operation answers it.",
  },
  'PASSKEY/ASSERT': {
    schema: 'PasskeyAssertNextStep',
    operations: ['journeyVerifyPasskey', 'journeyPasskeyOptions'],
    description: 'Run navigator.credentials.get with `publicKey` and send the assertion.',
  },
  PASSKEY_LOGIN: {
    schema: 'PasskeyLoginNextStep',
    operations: ['journeyPasskeyLogin', 'journeyPasskeyLoginOptions'],
    description: 'Passwordless: run navigator.credentials.get with `publicKey` (no username) and send the assertion.',
  },
  'PASSKEY_ENROL/OFFER': {
    schema: 'PasskeyEnrolOfferNextStep',
    operations: ['journeyPasskeyEnrolOptions', 'journeySkipPasskeyEnrol'],
    description: 'Offer to create a passkey ("Create a passkey" asks for the options) or decline it ("Not now").',
  },
  'PASSKEY_ENROL/CREATE': {
    schema: 'PasskeyEnrolCreateNextStep',
    operations: ['journeyPasskeyEnrol', 'journeyPasskeyEnrolOptions', 'journeySkipPasskeyEnrol'],
    description: 'Run navigator.credentials.create with `publicKey` and send the credential; or decline.',
  },
  RESET_USERNAME: {
    schema: 'ResetUsernameNextStep',
    operations: ['journeyResetUsername'],
    description: 'Forgot password: ask for the username alone (the answer is the same whether the account exists).',
  },
  SET_PASSWORD: {
    schema: 'SetPasswordNextStep',
    operations: ['journeySetPassword'],
    description:
      'Forgot password, a factor proven: ask for the new password; the journey then completes without a session.',
  },
  'FEDERATED/CHOOSE_PROVIDER': {
    schema: 'FederatedChooseNextStep',
    operations: ['journeyFederatedStart', 'journeyPassword', 'journeyPasskeyLoginOptions'],
    description: 'Offer the providers (the hinted one at once); the password and a passkey stay possible.',
  },
  'FEDERATED/REDIRECT': {
    schema: 'FederatedRedirectNextStep',
    operations: ['journeyFederatedCallback'],
    description:
      "Keep the token, send the browser to `authorizationUrl`; post the provider's answer from /federation/callback.",
  },
  CONSENT: {
    schema: 'ConsentNextStep',
    operations: ['journeyConsent'],
    description:
      'Show `client` and each of `scopes` in plain words with checkboxes (openid fixed); send the scopes granted (a granted one left out is withdrawn), or none to deny.',
  },
};

/** The union schemas, added to components.schemas by src/openapi.ts. */
export const JOURNEY_UNION_SCHEMAS: Record<string, SchemaObject> = {
  JourneyResponse: union(
    'A journey answer: PENDING names the next step and its single-use token; COMPLETED carries the authorization code.',
    'status',
    { PENDING: ref(JourneyPendingDto), COMPLETED: ref(JourneyCompletedDto) },
  ),
  JourneyNextStep: union(
    'The step the journey expects now, one schema per step (and per phase); its description names the operation that answers it.',
    'type',
    {
      PASSWORD: ref(PasswordNextStep),
      SMS_OTP: ref('SmsOtpNextStep'),
      PUSH: ref('PushNextStep'),
      DEVICE_PROOF: ref(DeviceProofNextStep),
      ESIGN: ref(EsignNextStep),
      DEVICE_BIND: ref(DeviceBindNextStep),
      TOTP: ref(TotpNextStep),
      PASSKEY: ref('PasskeyNextStep'),
      PASSKEY_LOGIN: ref(PasskeyLoginNextStep),
      RECOVERY_CODE: ref(RecoveryCodeNextStep),
      PASSKEY_ENROL: ref('PasskeyEnrolNextStep'),
      EMAIL_OTP: ref('EmailOtpNextStep'),
      RESET_USERNAME: ref(ResetUsernameNextStep),
      SET_PASSWORD: ref(SetPasswordNextStep),
      FEDERATED: ref('FederatedNextStep'),
      CONSENT: ref(ConsentNextStep),
    },
  ),
  FederatedNextStep: union('Sign in with an upstream identity provider: choosing it, then going there.', 'phase', {
    CHOOSE_PROVIDER: ref(FederatedChooseNextStep),
    REDIRECT: ref(FederatedRedirectNextStep),
  }),
  PasskeyEnrolNextStep: union('The offer of a passkey: accepting or declining it, then creating it.', 'phase', {
    OFFER: ref(PasskeyEnrolOfferNextStep),
    CREATE: ref(PasskeyEnrolCreateNextStep),
  }),
  PasskeyNextStep: union('The passkey step: choosing the factor, then asserting with the options.', 'phase', {
    CHOOSE: ref(PasskeyChooseNextStep),
    ASSERT: ref(PasskeyAssertNextStep),
  }),
  SmsOtpNextStep: union('The SMS one-time code step: choosing the factor, then verifying the code.', 'phase', {
    CHOOSE: ref(SmsOtpChooseNextStep),
    VERIFY: ref(SmsOtpVerifyNextStep),
  }),
  EmailOtpNextStep: union('The email one-time code step: choosing the factor, then verifying the code.', 'phase', {
    CHOOSE: ref(EmailOtpChooseNextStep),
    VERIFY: ref(EmailOtpVerifyNextStep),
  }),
  PushNextStep: union('The push approval step: choosing the factor, then waiting for the device.', 'phase', {
    CHOOSE: ref(PushChooseNextStep),
    WAITING: ref(PushWaitingNextStep),
  }),
  SecondFactorOption: union('A second factor the customer may choose.', 'type', {
    SMS_OTP: ref(SmsOtpOption),
    PUSH: ref(PushOption),
    TOTP: ref(TotpOption),
    PASSKEY: ref(PasskeyOption),
    RECOVERY_CODE: ref(RecoveryCodeOption),
    EMAIL_OTP: ref(EmailOtpOption),
  }),
};

/** The response schema of every journey operation. */
export const JOURNEY_RESPONSE: SchemaObject = { $ref: '#/components/schemas/JourneyResponse' } as SchemaObject;
