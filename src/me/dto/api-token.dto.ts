import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import type { ApiTokenRow } from '../../tokens/api-tokens.repository';

export class CreateApiTokenDto {
  @ApiProperty({ example: 'Budgeting app', minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  name: string;

  @ApiProperty({ type: [String], example: ['accounts:read'], maxItems: 20 })
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(/^[a-z][a-z0-9:._-]{0,63}$/, {
    each: true,
    message: 'each scope is 1 to 64 of a-z 0-9 : . _ -, from a letter',
  })
  scopes: string[];

  @ApiPropertyOptional({ example: 90, minimum: 1, maximum: 365, description: 'Days until it expires (default 90)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(365)
  expiresInDays?: number;
}

export class ApiTokenDto {
  @ApiProperty({ example: '3c8e1f2a-4b5d-4e6f-8a9b-0c1d2e3f4a5b' }) id: string;
  @ApiProperty({ example: 'Budgeting app' }) name: string;
  @ApiProperty({ type: [String], example: ['accounts:read'] }) scopes: string[];
  @ApiProperty({
    enum: ['CUSTOMER', 'SERVICE'],
    description: 'Who owns it: the customer, or a service on their behalf',
  })
  ownerType: 'CUSTOMER' | 'SERVICE';
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) expiresAt: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    description: 'Kept to within API_TOKEN_LAST_USED_INTERVAL_SECONDS',
  })
  lastUsedAt: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: null }) blockedAt: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: null }) revokedAt: string | null;
  @ApiProperty({ nullable: true, type: String, example: null, description: 'e.g. AGENT:agent-007' }) revokedBy:
    string | null;
}

export class CreatedApiTokenDto extends ApiTokenDto {
  @ApiProperty({
    example: 'ciam_at_Vh3k9Qm2x7LrP0sT4uW8yA1bC5dE6fG7hI8jK9lM0nO',
    description: 'The token itself: shown this once, stored only hashed',
  })
  token: string;
}

export class ApiTokenListDto {
  @ApiProperty({ type: [ApiTokenDto] }) apiTokens: ApiTokenDto[];
}

export function toApiTokenDto(row: ApiTokenRow): ApiTokenDto {
  const iso = (value: Date | null) => value?.toISOString() ?? null;
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    ownerType: row.owner_type,
    createdAt: row.created_at.toISOString(),
    expiresAt: iso(row.expires_at),
    lastUsedAt: iso(row.last_used_at),
    blockedAt: iso(row.blocked_at),
    revokedAt: iso(row.revoked_at),
    revokedBy: row.revoked_by,
  };
}
