import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
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
import { ACR_VALUES_SUPPORTED } from '../../common/assurance';

/** The payment a step-up approves: shown on the push prompt, its hash bound into the result (dynamic linking). */
export class StepUpTransactionDto {
  @ApiProperty({ example: '125.00', description: 'Decimal amount as text, up to two decimals' })
  @Matches(/^\d{1,12}(\.\d{1,2})?$/, { message: 'amount must be a decimal number with at most two decimals' })
  amount: string;

  @ApiProperty({ example: 'EUR', description: 'ISO 4217 currency code' })
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code such as EUR' })
  currency: string;

  @ApiProperty({ example: 'ACME Energy Ltd', description: 'Who is paid, as shown to the customer' })
  @IsString()
  @Length(1, 140)
  payee: string;
}

/**
 * A step-up of the caller's own session (the access token's), for first-party frontends: like a journey start,
 * with the PKCE pair and redirect URI of the token's client, so the completed step-up answers with a code
 * whose tokens carry the raised level.
 */
export class StartStepUpDto {
  @ApiPropertyOptional({
    enum: ACR_VALUES_SUPPORTED,
    example: 'urn:ciam:loa:2',
    description: 'The level to reach: urn:ciam:loa:2 when absent, urn:ciam:loa:3 with a transaction',
  })
  @IsOptional()
  @IsIn(ACR_VALUES_SUPPORTED)
  acr?: string;

  @ApiPropertyOptional({
    example: 0,
    minimum: 0,
    maximum: 86400,
    description:
      'Seconds (OIDC max_age): when the session authenticated longer ago, one second factor is asked again and its ' +
      'pass renews auth_time (also automatic past FACTOR_CHANGE_MAX_AGE_SECONDS); 0 always re-authenticates',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(86400)
  maxAge?: number;

  @ApiProperty({ example: 'http://localhost:5173/callback', description: "Registered exactly for the token's client" })
  @IsString()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @MaxLength(2048)
  redirectUri: string;

  @ApiProperty({ example: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', description: 'PKCE S256 challenge' })
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'codeChallenge must be an S256 challenge: 43 base64url characters' })
  codeChallenge: string;

  @ApiProperty({ enum: ['S256'], example: 'S256' })
  @IsIn(['S256'])
  codeChallengeMethod: 'S256';

  @ApiPropertyOptional({ example: 'openid', description: 'openid when absent' })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  scope?: string;

  @ApiPropertyOptional({ example: 'n-0S6_WzA2Mj' })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  nonce?: string;

  @ApiPropertyOptional({ example: 'af0ifjsldkj' })
  @IsOptional()
  @IsString()
  @Length(1, 512)
  state?: string;

  @ApiPropertyOptional({ type: StepUpTransactionDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => StepUpTransactionDto)
  transaction?: StepUpTransactionDto;
}
