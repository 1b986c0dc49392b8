import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  Equals,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { AUTH_CHANNELS } from '../auth-context.entity';
import type { AuthChannel } from '../auth-context.entity';

export class JourneyDeviceDto {
  @ApiPropertyOptional({
    example: 'd3b07384-d113-4ec4-a7a1-5f8b1e1b3c2e',
    description: 'A stable id the app keeps for this device',
  })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  deviceId?: string;

  @ApiPropertyOptional({
    example: { platform: 'web', fingerprint: '9f86d081884c7d65', actionToken: 'eyJhbGciOi...' },
    description: "Signals for risk evaluation; `actionToken` is the risk vendor SDK's token for this login",
    type: 'object',
    properties: { actionToken: { type: 'string', description: "The risk vendor SDK's token for this login" } },
    additionalProperties: true,
  })
  @IsOptional()
  @IsObject()
  data?: Record<string, unknown>;

  @ApiPropertyOptional({
    example: false,
    description: 'Bind this device at the end of the journey (a DEVICE_BIND step)',
  })
  @IsOptional()
  @IsBoolean()
  bind?: boolean;

  @ApiPropertyOptional({
    example: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
    description: "This device is bound: its key's RFC 7638 thumbprint (it will be asked to prove it)",
  })
  @IsOptional()
  @IsString()
  @Length(43, 43)
  keyThumbprint?: string;
}

export class StartJourneyDto {
  @ApiProperty({ example: 'demo-spa' })
  @IsString()
  @Length(3, 128)
  clientId: string;

  @ApiProperty({ example: 'http://localhost:5173/callback', description: 'Registered exactly for the client' })
  @IsString()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @MaxLength(2048)
  redirectUri: string;

  @ApiProperty({
    example: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    description: 'PKCE S256 challenge (RFC 7636)',
  })
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'codeChallenge must be an S256 challenge: 43 base64url characters' })
  codeChallenge: string;

  @ApiProperty({ enum: ['S256'], example: 'S256' })
  @IsIn(['S256'])
  codeChallengeMethod: 'S256';

  @ApiPropertyOptional({
    example: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
    description:
      "RFC 9449 §10 (dpop_jkt): the SHA-256 JWK thumbprint of the DPoP key the client will redeem the journey's code " +
      'with; the code is then redeemed only with a DPoP proof of that key',
  })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'dpopJkt must be a SHA-256 JWK thumbprint: 43 base64url characters' })
  dpopJkt?: string;

  @ApiProperty({ example: 'openid profile', description: 'Space-separated scopes, allowed for the client' })
  @IsString()
  @Length(1, 1024)
  scope: string;

  @ApiPropertyOptional({ example: 'n-0S6_WzA2Mj' })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  nonce?: string;

  @ApiPropertyOptional({ example: 'af0ifjsldkj', description: 'Returned with the code on the redirect' })
  @IsOptional()
  @IsString()
  @Length(1, 512)
  state?: string;

  // No `default` keyword: generated clients would make it a required field; the service takes WEB when absent.
  @ApiPropertyOptional({ enum: AUTH_CHANNELS, example: 'WEB', description: 'WEB when absent' })
  @IsOptional()
  @IsIn(AUTH_CHANNELS)
  channel?: AuthChannel;

  @ApiPropertyOptional({ type: JourneyDeviceDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => JourneyDeviceDto)
  device?: JourneyDeviceDto;

  @ApiPropertyOptional({
    enum: ['password', 'passkey'],
    example: 'passkey',
    description:
      'How the customer identifies: `password` (the default) or `passkey`, a passwordless sign-in whose first step (PASSKEY_LOGIN) ' +
      'carries WebAuthn request options for a discoverable credential; no username is asked.',
  })
  @IsOptional()
  @IsIn(['password', 'passkey'])
  method?: 'password' | 'passkey';

  @ApiPropertyOptional({
    enum: ['sign_in', 'password_reset'],
    example: 'password_reset',
    description:
      'What the journey is for: `sign_in` (the default) or `password_reset`, a forgotten password: the username alone ' +
      '(RESET_USERNAME), a registered factor (SMS code, authenticator app or recovery code), then the new password ' +
      '(SET_PASSWORD). It ends without a session or a code: the customer then signs in with the new password.',
  })
  @IsOptional()
  @IsIn(['sign_in', 'password_reset'])
  purpose?: 'sign_in' | 'password_reset';
}

export class PasswordStepDto {
  @ApiProperty({
    example: 'tx-5Jd8kq0y...',
    description: 'The transaction token of the previous response (single use)',
  })
  @IsString()
  @Length(16, 128)
  transactionToken: string;

  @ApiProperty({ example: 'alice' })
  @IsString()
  @Length(1, 256)
  username: string;

  @ApiProperty({ example: 'alice-password', format: 'password' })
  @IsString()
  @Length(1, 1024)
  password: string;

  @ApiPropertyOptional({
    type: JourneyDeviceDto,
    description:
      "For a journey /oauth2/authorize opened (the relying party knows nothing of the device): this browser's bound key " +
      '(keyThumbprint) or its wish to be bound (bind). Fills in only what the start left unset; `data` is ignored here.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => JourneyDeviceDto)
  device?: JourneyDeviceDto;
}

export class TransactionOnlyDto {
  @ApiProperty({ example: 'Vb2m1sKQd0n8s5Yy2p3u...', description: 'The current transaction token of the journey' })
  @IsString()
  @Length(16, 128)
  transactionToken: string;
}

export class PasskeyAssertionDto extends TransactionOnlyDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'The assertion: PublicKeyCredential.toJSON() of navigator.credentials.get() with the options of nextStep.publicKey ' +
      '(WebAuthn Level 3 AuthenticationResponseJSON: id, rawId, type, response.{clientDataJSON, authenticatorData, signature, userHandle}).',
  })
  @IsObject()
  credential: Record<string, unknown>;
}

/** The PASSKEY_ENROL step's `register`: the same body as POST /me/passkeys, with the step's token. */
export class PasskeyEnrolDto extends TransactionOnlyDto {
  @ApiPropertyOptional({ example: 'iPhone', description: 'A name the customer recognises (default: "Passkey")' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  name?: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'PublicKeyCredential.toJSON() of navigator.credentials.create() with the options of nextStep.publicKey (RegistrationResponseJSON)',
  })
  @IsObject()
  credential: Record<string, unknown>;
}

export class SmsCodeDto extends TransactionOnlyDto {
  @ApiProperty({ example: '493027', description: 'The 6-digit code received by SMS' })
  @Matches(/^\d{6}$/, { message: 'code must be 6 digits' })
  code: string;
}

export class EmailCodeDto extends TransactionOnlyDto {
  @ApiProperty({ example: '493027', description: 'The 6-digit code received by email' })
  @Matches(/^\d{6}$/, { message: 'code must be 6 digits' })
  code: string;
}

export class TotpCodeDto extends TransactionOnlyDto {
  @ApiProperty({ example: '493027', description: 'The 6-digit code the authenticator app shows now' })
  @Matches(/^\d{6}$/, { message: 'code must be 6 digits' })
  code: string;
}

export class ResetUsernameDto extends TransactionOnlyDto {
  @ApiProperty({ example: 'alice', description: 'The username of the account whose password was forgotten' })
  @IsString()
  @Length(1, 256)
  username: string;
}

export class SetPasswordDto extends TransactionOnlyDto {
  @ApiProperty({
    example: 'correct horse battery staple',
    format: 'password',
    description:
      '12 to 128 characters, not the username, not a common password (PASSWORD_POLICY_VIOLATION names the rules broken)',
  })
  @IsString()
  @Length(1, 1024)
  newPassword: string;
}

export class RecoveryCodeDto extends TransactionOnlyDto {
  @ApiProperty({ example: 'ABCDE-FGHJK', description: 'One of the recovery codes (case, spaces and dashes ignored)' })
  @Matches(/^[A-Za-z0-9 -]{10,16}$/, { message: 'code must be a recovery code such as ABCDE-FGHJK' })
  code: string;
}

export class DeviceProofDto extends TransactionOnlyDto {
  @ApiProperty({
    description: 'Compact JWS (ES256) by the bound key over {"challenge": nextStep.challenge, "journeyId": journeyId}',
    example:
      'eyJhbGciOiJFUzI1NiJ9.eyJjaGFsbGVuZ2UiOiJKeDNucTBtUTh5R1oyY0Y1dlQxd1IiLCJqb3VybmV5SWQiOiI2YzFmMWUzZSJ9.MEUCIQDx7cQ9kVt3w',
  })
  @IsString()
  @Length(20, 8192)
  proof: string;
}

export class PushPollDto extends TransactionOnlyDto {
  @ApiPropertyOptional({
    example: 20,
    minimum: 0,
    maximum: 25,
    description: "Long-poll: wait up to this many seconds for the device's answer",
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(25)
  waitSeconds?: number;
}

export class EsignDto extends TransactionOnlyDto {
  @ApiProperty({ example: 'terms' })
  @IsString()
  @Length(1, 64)
  documentId: string;

  @ApiProperty({ example: '2026-11' })
  @IsString()
  @Length(1, 64)
  version: string;

  @ApiProperty({
    example: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    description: 'SHA-256 (hex) of the content shown',
  })
  @Matches(/^[0-9a-fA-F]{64}$/, { message: 'sha256 must be 64 hex characters' })
  sha256: string;

  @ApiProperty({ example: true, description: "The customer's explicit acceptance; false declines (the journey ends)" })
  @IsBoolean()
  accept: boolean;
}

export class ConsentDto extends TransactionOnlyDto {
  @ApiProperty({
    type: [String],
    example: ['openid', 'profile'],
    description:
      'The scopes the customer allows, among those in nextStep.scopes; openid must be among them. An empty list denies: the journey ends with access_denied.',
  })
  @IsArray()
  @ArrayMaxSize(32)
  @IsString({ each: true })
  @Length(1, 128, { each: true })
  scopes: string[];
}

export class DevicePublicKeyDto {
  @ApiProperty({ example: 'EC' }) @Equals('EC') kty: string;
  @ApiProperty({ example: 'P-256' }) @Equals('P-256') crv: string;
  @ApiProperty({ example: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU' }) @IsString() @Length(43, 43) x: string;
  @ApiProperty({ example: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }) @IsString() @Length(43, 43) y: string;
}

export class DeviceBindDto extends TransactionOnlyDto {
  @ApiProperty({ type: DevicePublicKeyDto, description: "The device's new P-256 public key (JWK)" })
  @ValidateNested()
  @Type(() => DevicePublicKeyDto)
  publicKey: DevicePublicKeyDto;

  @ApiProperty({
    description: 'Compact JWS (ES256) by that key over {"challenge": nextStep.challenge, "journeyId": journeyId}',
    example:
      'eyJhbGciOiJFUzI1NiJ9.eyJjaGFsbGVuZ2UiOiJKeDNucTBtUTh5R1oyY0Y1dlQxd1IiLCJqb3VybmV5SWQiOiI2YzFmMWUzZSJ9.MEUCIQDx7cQ9kVt3w',
  })
  @IsString()
  @Length(20, 8192)
  proof: string;

  @ApiProperty({ example: 'Pixel 9' })
  @IsString()
  @Length(1, 128)
  name: string;

  @ApiPropertyOptional({ example: 'android' })
  @IsOptional()
  @IsString()
  @Length(1, 32)
  platform?: string;

  @ApiPropertyOptional({ description: 'Where push approvals reach this device (e.g. an FCM registration token)' })
  @IsOptional()
  @IsString()
  @Length(1, 4096)
  pushAddress?: string;
}

export class FederatedStartDto extends TransactionOnlyDto {
  @ApiProperty({ example: 'bankid', description: 'The upstream identity provider chosen (GET /federation/providers)' })
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9_-]{0,62}$/)
  providerId: string;
}

export class FederatedCallbackDto extends TransactionOnlyDto {
  @ApiProperty({
    example: 'code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj&iss=https%3A%2F%2Fidp.example.com',
    description:
      "The query string of the provider's redirect to /federation/callback, as the hosted page received it " +
      '(the fragment `federation_response`): code, state and iss, or error and error_description.',
  })
  @IsString()
  @Length(1, 4096)
  response: string;
}
