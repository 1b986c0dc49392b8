import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import type { FederationLinkView } from '../federation-links.service';
import type { FederationProviderView } from '../federation-providers.service';

const SLUG = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The fields of a provider an operator sets; the secret is write-only (never answered, never audited). */
export class FederationProviderFieldsDto {
  @ApiProperty({ example: 'BankID', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  displayName: string;

  @ApiProperty({ enum: ['oidc', 'oauth2'], description: 'oidc: by its issuer (discovery); oauth2: by its endpoints' })
  @IsIn(['oidc', 'oauth2'])
  kind: 'oidc' | 'oauth2';

  @ApiPropertyOptional({
    example: 'https://idp.example.com',
    nullable: true,
    type: String,
    description: 'oidc: required',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  issuer?: string | null;

  @ApiPropertyOptional({
    example: 'https://idp.example.com/authorize',
    nullable: true,
    type: String,
    description: 'oauth2: required',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  authorizationEndpoint?: string | null;

  @ApiPropertyOptional({
    example: 'https://idp.example.com/token',
    nullable: true,
    type: String,
    description: 'oauth2: required',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  tokenEndpoint?: string | null;

  @ApiPropertyOptional({
    example: 'https://idp.example.com/userinfo',
    nullable: true,
    type: String,
    description: "oauth2: required (the subject comes from it: settings.subjectClaim, default 'sub')",
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  userinfoEndpoint?: string | null;

  @ApiProperty({ example: 'ciam-bank', maxLength: 512 })
  @IsString()
  @Length(1, 512)
  clientId: string;

  @ApiPropertyOptional({
    example: 'provider-issued-secret',
    nullable: true,
    type: String,
    writeOnly: true,
    description: 'Write-only; sealed at rest. Absent on an update: kept; null: removed (a public PKCE-only client).',
  })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @Length(1, 1024)
  clientSecret?: string | null;

  @ApiPropertyOptional({ example: ['openid', 'profile'], description: "Default: ['openid'] (oidc), none (oauth2)" })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  scopes?: string[];

  @ApiPropertyOptional({
    example: 'https://login.example.com/federation/callback',
    description: 'Default: <OIDC_ISSUER>/federation/callback',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  redirectUri?: string;

  @ApiProperty({ example: 'loa2', description: 'The level a sign-in through it gives: loa1, loa2, loa3 or their URIs' })
  @IsString()
  @MaxLength(64)
  acr: string;

  @ApiPropertyOptional({ example: false, description: 'Its sign-in stands in for the second factor (default false)' })
  @IsOptional()
  @IsBoolean()
  satisfiesMfa?: boolean;

  @ApiPropertyOptional({ example: ['name', 'email'], description: 'The claims it may supply (kept: only these)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  claims?: string[];

  @ApiPropertyOptional({
    example: { subjectClaim: 'id', tokenEndpointAuthMethod: 'client_secret_basic' },
    description: 'subjectClaim (oauth2: the userinfo member naming the subject), tokenEndpointAuthMethod',
  })
  @IsOptional()
  @IsObject()
  settings?: Record<string, unknown>;

  @ApiPropertyOptional({ example: true })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

export class CreateFederationProviderDto extends FederationProviderFieldsDto {
  @ApiProperty({ example: 'bankid', description: 'A slug: a-z, 0-9, - and _' })
  @IsString()
  @Matches(SLUG)
  id: string;
}

export class UpdateFederationProviderDto extends PartialType(FederationProviderFieldsDto) {}

export class FederationProviderDto {
  @ApiProperty({ example: 'bankid' }) id: string;
  @ApiProperty({ example: 'BankID' }) displayName: string;
  @ApiProperty({ enum: ['oidc', 'oauth2'] }) kind: string;
  @ApiProperty({ nullable: true, type: String }) issuer: string | null;
  @ApiProperty({ nullable: true, type: String }) authorizationEndpoint: string | null;
  @ApiProperty({ nullable: true, type: String }) tokenEndpoint: string | null;
  @ApiProperty({ nullable: true, type: String }) userinfoEndpoint: string | null;
  @ApiProperty({ example: 'ciam-bank' }) clientId: string;
  @ApiProperty({ description: 'Whether a client secret is stored (it is never answered)' }) hasClientSecret: boolean;
  @ApiProperty({ type: [String], example: ['openid', 'profile'] }) scopes: string[];
  @ApiProperty({ example: 'https://login.example.com/federation/callback' }) redirectUri: string;
  @ApiProperty({ example: 'urn:ciam:loa:2' }) acr: string;
  @ApiProperty() satisfiesMfa: boolean;
  @ApiProperty({ type: [String], example: ['name'] }) claims: string[];
  @ApiProperty({ type: 'object', additionalProperties: true }) settings: Record<string, unknown>;
  @ApiProperty() active: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class FederationProviderListDto {
  @ApiProperty({ type: [FederationProviderDto] }) providers: FederationProviderDto[];
}

export function toFederationProviderDto(view: FederationProviderView): FederationProviderDto {
  return {
    id: view.id,
    displayName: view.displayName,
    kind: view.kind,
    issuer: view.issuer,
    authorizationEndpoint: view.authorizationEndpoint,
    tokenEndpoint: view.tokenEndpoint,
    userinfoEndpoint: view.userinfoEndpoint,
    clientId: view.clientId,
    hasClientSecret: view.hasClientSecret,
    scopes: view.scopes,
    redirectUri: view.redirectUri,
    acr: view.acr,
    satisfiesMfa: view.satisfiesMfa,
    claims: view.claims,
    settings: view.settings,
    active: view.active,
    createdAt: view.createdAt.toISOString(),
    updatedAt: view.updatedAt.toISOString(),
  };
}

/** A provider the login page offers: its id and name only. */
export class PublicFederationProviderDto {
  @ApiProperty({ example: 'bankid' }) id: string;
  @ApiProperty({ example: 'BankID' }) displayName: string;
}

export class PublicFederationProviderListDto {
  @ApiProperty({ type: [PublicFederationProviderDto] }) providers: PublicFederationProviderDto[];
}

export class FederationLinkDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'bankid' }) providerId: string;
  @ApiProperty({ example: 'BankID' }) providerName: string;
  @ApiProperty({ example: '248289761001', description: "The provider's subject (its `sub`)" }) subject: string;
  @ApiProperty({ nullable: true, type: String, example: 'Alice A.' }) displayName: string | null;
  @ApiProperty({ enum: ['ok', 'needs_reconsent', 'refresh_failed'] }) syncStatus: string;
  @ApiProperty({ format: 'date-time' }) linkedAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastSignInAt: string | null;
}

export class FederationLinkListDto {
  @ApiProperty({ type: [FederationLinkDto] }) links: FederationLinkDto[];
}

export class CreateFederationLinkDto {
  @ApiProperty({ example: 'bankid' })
  @IsString()
  @Matches(SLUG)
  providerId: string;

  @ApiProperty({ example: '248289761001', description: "The provider's subject, as the provider names it" })
  @IsString()
  @Length(1, 255)
  subject: string;

  @ApiPropertyOptional({ example: 'Alice A.', nullable: true })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  displayName?: string;

  @ApiProperty({ example: 'Customer verified in branch, ID checked', description: 'Why (audited)' })
  @IsString()
  @Length(3, 500)
  reason: string;
}

export function toFederationLinkDto(link: FederationLinkView): FederationLinkDto {
  return {
    id: link.id,
    providerId: link.providerId,
    providerName: link.providerName,
    subject: link.subject,
    displayName: link.displayName,
    syncStatus: link.syncStatus,
    linkedAt: link.linkedAt.toISOString(),
    lastSignInAt: link.lastSignInAt?.toISOString() ?? null,
  };
}
