import { ApiProperty, ApiPropertyOptional, IntersectionType, OmitType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import {
  GRANT_TYPES,
  OAUTH_CLIENT_TYPES,
  OAuthClient,
  SUBJECT_TYPES,
  TOKEN_ENDPOINT_AUTH_METHODS,
} from '../../clients/oauth-client.entity';
import type {
  GrantType,
  OAuthClientType,
  SubjectType,
  TokenEndpointAuthMethod,
} from '../../clients/oauth-client.entity';

const JWKS_SCHEMA = {
  type: 'object',
  additionalProperties: true,
  description:
    'RFC 7591 `jwks`: {"keys": [...]}, 1-10 PUBLIC keys (no d, p, q, dp, dq, qi, k), each with kty and a distinct kid: EC P-256, RSA of 2048 bits or more, OKP Ed25519',
  example: { keys: [{ kty: 'EC', crv: 'P-256', kid: 'partner-2026', x: '...', y: '...' }] },
} as const;

/**
 * The settings of a client, for a change (PATCH): every field optional; null removes an optional setting.
 * Checked as a whole with the settings the client keeps (a pairwise client needs a sector identifier,
 * private_key_jwt needs keys); a problem is a 400 naming it.
 */
export class ClientUpdateDto {
  @ApiPropertyOptional({ example: 'Partner budgeting app', minLength: 1, maxLength: 128 })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  name?: string;

  @ApiPropertyOptional({ example: ['https://partner.example/callback'], description: 'Matched exactly (RFC 9700)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(2048, { each: true })
  redirectUris?: string[];

  @ApiPropertyOptional({ example: ['https://partner.example/signed-out'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(2048, { each: true })
  postLogoutRedirectUris?: string[];

  @ApiPropertyOptional({ enum: GRANT_TYPES, isArray: true, example: ['authorization_code', 'refresh_token'] })
  @IsOptional()
  @IsArray()
  @IsIn(GRANT_TYPES, { each: true })
  grantTypes?: GrantType[];

  @ApiPropertyOptional({ example: ['openid', 'profile', 'email'], description: 'The scopes it may ask for' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  scopes?: string[];

  @ApiPropertyOptional({ description: 'May call the introspection endpoint (confidential clients)' })
  @IsOptional()
  @IsBoolean()
  canIntrospect?: boolean;

  @ApiPropertyOptional({
    type: [String],
    nullable: true,
    example: ['email', 'name'],
    description: 'The claims it may receive; null: every claim of its scopes',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  allowedClaims?: string[] | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'loa2',
    description: 'The lowest level of assurance it accepts (an acr or loa1-loa3); null: any',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  minAcr?: string | null;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 30, maximum: 3600, description: 'null: the default' })
  @IsOptional()
  @IsInt()
  accessTokenTtlSeconds?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 30, maximum: 86400 })
  @IsOptional()
  @IsInt()
  idTokenTtlSeconds?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 60, maximum: 31536000 })
  @IsOptional()
  @IsInt()
  refreshTokenTtlSeconds?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 60, maximum: 31536000 })
  @IsOptional()
  @IsInt()
  sessionIdleTtlSeconds?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 60, maximum: 31536000 })
  @IsOptional()
  @IsInt()
  sessionAbsoluteTtlSeconds?: number | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'https://partner.example/backchannel-logout',
    description: 'OIDC Back-Channel Logout 1.0: https (http only on loopback outside production); null removes it',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  backchannelLogoutUri?: string | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  backchannelLogoutSessionRequired?: boolean;

  @ApiPropertyOptional({ description: "false: a third party, whose authorizations need the customer's consent" })
  @IsOptional()
  @IsBoolean()
  firstParty?: boolean;

  @ApiPropertyOptional({ enum: SUBJECT_TYPES, description: 'pairwise needs sectorIdentifier' })
  @IsOptional()
  @IsIn(SUBJECT_TYPES)
  subjectType?: SubjectType;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'partner.example',
    description: 'A host or an https URI; stored as the host (OpenID Connect Core §8.1)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  sectorIdentifier?: string | null;

  @ApiPropertyOptional({
    enum: TOKEN_ENDPOINT_AUTH_METHODS,
    nullable: true,
    description: "RFC 7591 §2; null: the type's rule (public: none; confidential: client_secret_basic or _post)",
  })
  @IsOptional()
  @IsIn(TOKEN_ENDPOINT_AUTH_METHODS)
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod | null;

  @ApiPropertyOptional({ description: 'RFC 9449 §5.2: its tokens are always DPoP-bound' })
  @IsOptional()
  @IsBoolean()
  dpopBoundAccessTokens?: boolean;

  @ApiPropertyOptional({ ...JWKS_SCHEMA, nullable: true })
  @IsOptional()
  @IsObject()
  jwks?: { keys: Record<string, unknown>[] } | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'https://partner.example/jwks.json',
    description: 'https (http only on loopback outside production); not with jwks',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  jwksUri?: string | null;
}

class ClientIdentityDto {
  @ApiProperty({ example: 'partner-budget-app', description: '3-128 characters of A-Z a-z 0-9 . _ ~ -' })
  @IsString()
  @Length(3, 128)
  clientId: string;

  @ApiProperty({ example: 'Partner budgeting app', minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128)
  name: string;

  @ApiProperty({
    enum: OAUTH_CLIENT_TYPES,
    description: 'CONFIDENTIAL gets a secret, returned once (none with tokenEndpointAuthMethod private_key_jwt)',
  })
  @IsIn(OAUTH_CLIENT_TYPES)
  type: OAuthClientType;

  @ApiProperty({ enum: GRANT_TYPES, isArray: true, example: ['authorization_code', 'refresh_token'] })
  @IsArray()
  @IsIn(GRANT_TYPES, { each: true })
  grantTypes: GrantType[];
}

/** A new client: its id, type and grants, and any settings (the defaults of a first-party public-subject client). */
export class ClientCreateDto extends IntersectionType(
  ClientIdentityDto,
  OmitType(ClientUpdateDto, ['name', 'grantTypes'] as const),
) {}

export class ClientListQueryDto {
  @ApiPropertyOptional({ example: 50, minimum: 1, maximum: 200 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: "From the previous page's nextCursor" })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  cursor?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Only active (true) or deactivated (false) clients' })
  @IsOptional()
  @IsIn(['true', 'false'])
  active?: 'true' | 'false';
}

export class ClientRotationQueryDto {
  @ApiPropertyOptional({
    example: 3600,
    minimum: 0,
    maximum: 2592000,
    description:
      'Seconds the previous secret keeps working (default CLIENT_SECRET_ROTATION_OVERLAP_SECONDS); 0 revokes it at once',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value,
  )
  @IsInt()
  @Min(0)
  @Max(2592000)
  overlap?: number;
}

/** A client as the admin API shows it: every setting, never a secret or its hash. */
export class ClientDto {
  @ApiProperty({ example: 'partner-budget-app' }) clientId: string;
  @ApiProperty({ example: 'Partner budgeting app' }) name: string;
  @ApiProperty({ enum: OAUTH_CLIENT_TYPES }) type: OAuthClientType;
  @ApiProperty() active: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deactivatedAt: string | null;
  @ApiProperty({ type: [String], example: ['https://partner.example/callback'] }) redirectUris: string[];
  @ApiProperty({ type: [String], example: ['https://partner.example/signed-out'] }) postLogoutRedirectUris: string[];
  @ApiProperty({ enum: GRANT_TYPES, isArray: true }) grantTypes: GrantType[];
  @ApiProperty({ type: [String], example: ['openid', 'profile'] }) scopes: string[];
  @ApiProperty() canIntrospect: boolean;
  @ApiProperty({ type: [String], nullable: true, example: ['email', 'name'] }) allowedClaims: string[] | null;
  @ApiProperty({ type: String, nullable: true }) minAcr: string | null;
  @ApiProperty({ type: Number, nullable: true }) accessTokenTtlSeconds: number | null;
  @ApiProperty({ type: Number, nullable: true }) idTokenTtlSeconds: number | null;
  @ApiProperty({ type: Number, nullable: true }) refreshTokenTtlSeconds: number | null;
  @ApiProperty({ type: Number, nullable: true }) sessionIdleTtlSeconds: number | null;
  @ApiProperty({ type: Number, nullable: true }) sessionAbsoluteTtlSeconds: number | null;
  @ApiProperty({ type: String, nullable: true }) backchannelLogoutUri: string | null;
  @ApiProperty() backchannelLogoutSessionRequired: boolean;
  @ApiProperty() firstParty: boolean;
  @ApiProperty({ enum: SUBJECT_TYPES }) subjectType: SubjectType;
  @ApiProperty({ type: String, nullable: true, example: 'partner.example' }) sectorIdentifier: string | null;
  @ApiProperty({ enum: TOKEN_ENDPOINT_AUTH_METHODS, nullable: true })
  tokenEndpointAuthMethod: TokenEndpointAuthMethod | null;
  @ApiProperty() dpopBoundAccessTokens: boolean;
  @ApiProperty({ ...JWKS_SCHEMA, nullable: true }) jwks: { keys: Record<string, unknown>[] } | null;
  @ApiProperty({ type: String, nullable: true }) jwksUri: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Until when the previous secret still works after a rotation; null: none does',
  })
  previousSecretExpiresAt: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class ClientListDto {
  @ApiProperty({ type: [ClientDto] }) clients: ClientDto[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last' })
  nextCursor: string | null;
}

export class ClientCreatedDto {
  @ApiProperty({ type: ClientDto }) client: ClientDto;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      "A confidential client's secret, shown this once (only its hash is kept); null for a public client and for one that authenticates with private_key_jwt (its keys)",
  })
  clientSecret: string | null;
}

/** A changed client; with the secret a switch from private_key_jwt to a secret method issued, this once. */
export class ClientUpdatedDto extends ClientDto {
  @ApiPropertyOptional({
    description:
      "Only when the change switched a private_key_jwt client to client_secret_basic or _post (or the type's rule): its new secret, shown this once",
    example: 'kX9v2Qm7Lr4tW8pZ1bN6cH3jF5sD0aYe',
  })
  clientSecret?: string;
}

export class ClientSecretRotatedDto {
  @ApiProperty({ type: ClientDto }) client: ClientDto;
  @ApiProperty({ description: 'The new secret, shown this once', example: 'kX9v2Qm7Lr4tW8pZ1bN6cH3jF5sD0aYe' })
  clientSecret: string;
}

export function toClientDto(client: OAuthClient, now: Date): ClientDto {
  const previousLive =
    client.previousSecretHash !== null && (client.previousSecretExpiresAt?.getTime() ?? 0) > now.getTime();
  return {
    clientId: client.clientId,
    name: client.name,
    type: client.type,
    active: client.active,
    deactivatedAt: client.deactivatedAt?.toISOString() ?? null,
    redirectUris: client.redirectUris,
    postLogoutRedirectUris: client.postLogoutRedirectUris,
    grantTypes: client.grantTypes,
    scopes: client.scopes,
    canIntrospect: client.canIntrospect,
    allowedClaims: client.allowedClaims,
    minAcr: client.minAcr,
    accessTokenTtlSeconds: client.accessTokenTtlSeconds,
    idTokenTtlSeconds: client.idTokenTtlSeconds,
    refreshTokenTtlSeconds: client.refreshTokenTtlSeconds,
    sessionIdleTtlSeconds: client.sessionIdleTtlSeconds,
    sessionAbsoluteTtlSeconds: client.sessionAbsoluteTtlSeconds,
    backchannelLogoutUri: client.backchannelLogoutUri,
    backchannelLogoutSessionRequired: client.backchannelLogoutSessionRequired,
    firstParty: client.firstParty,
    subjectType: client.subjectType,
    sectorIdentifier: client.sectorIdentifier,
    tokenEndpointAuthMethod: client.tokenEndpointAuthMethod,
    dpopBoundAccessTokens: client.dpopBoundAccessTokens,
    jwks: client.jwks,
    jwksUri: client.jwksUri,
    previousSecretExpiresAt: previousLive ? client.previousSecretExpiresAt!.toISOString() : null,
    createdAt: client.createdAt.toISOString(),
    updatedAt: client.updatedAt.toISOString(),
  };
}
