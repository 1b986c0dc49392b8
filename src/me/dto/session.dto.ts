import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { ValidationFailedError } from '../../common/problem';
import type { DeviceRow } from '../../devices/devices.repository';
import type { SessionRow } from '../../sessions/sessions.repository';

export class SessionDto {
  @ApiProperty({ example: '2b1c9a5e-3f0e-4a8f-9d1c-7e2f5b6a8c90' }) id: string;
  @ApiProperty({ example: 'demo-spa', description: 'The app the session was opened for' }) clientId: string;
  @ApiProperty({
    type: [String],
    example: ['demo-spa', 'demo-brokerage'],
    description: 'Every app signed in under this session (single sign-on), the first one included',
  })
  clientIds: string[];
  @ApiProperty({ enum: ['ACTIVE', 'REVOKED', 'EXPIRED'] }) status: string;
  @ApiProperty({ example: ['pwd', 'otp', 'sms'] }) amr: string[];
  // Always sent, null when unknown (openapi.yaml: required and nullable).
  @ApiProperty({ type: String, nullable: true, example: 'urn:ciam:loa:2' }) acr: string | null;
  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' }) ipAddress: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)',
  })
  userAgent: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'uuid',
    example: null,
    description: 'The trusted device the session was opened from',
  })
  trustedDeviceId: string | null;
  @ApiProperty({ format: 'date-time', example: '2026-11-24T19:00:00.000Z' }) createdAt: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-24T19:00:00.000Z' }) lastUsedAt: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-24T19:30:00.000Z' }) idleExpiresAt: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-25T07:00:00.000Z' }) absoluteExpiresAt: string;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    format: 'date-time',
    description: 'Revoked or expired sessions only',
  })
  revokedAt?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'AGENT:agent-007' }) revokedBy?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) revokeReason?: string | null;
  @ApiPropertyOptional({ description: 'Self-service only: this is the session of the token used', example: true })
  current?: boolean;
}

export function toSessionDto(row: SessionRow, extra: Partial<SessionDto> = {}): SessionDto {
  return {
    id: row.id,
    clientId: row.client_id,
    clientIds: row.client_ids,
    status: row.status,
    amr: row.amr,
    acr: row.acr,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    trustedDeviceId: row.trusted_device_id,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at.toISOString(),
    idleExpiresAt: row.idle_expires_at.toISOString(),
    absoluteExpiresAt: row.absolute_expires_at.toISOString(),
    ...(row.status === 'ACTIVE'
      ? {}
      : {
          revokedAt: row.revoked_at?.toISOString() ?? null,
          revokedBy: row.revoked_by,
          revokeReason: row.revoke_reason,
        }),
    ...extra,
  };
}

export class SessionListDto {
  @ApiProperty({ type: [SessionDto] }) sessions: SessionDto[];
}

export class SessionPageDto extends SessionListDto {
  @ApiPropertyOptional({
    description: 'Pass as `cursor` for the next (older) page; absent on the last page',
    example: 'MjAyNi0xMS0yNFQxOTowMDowMC4wMDBafDJiMWM5YTVl',
  })
  nextCursor?: string;
}

export class TrustedDeviceDto {
  @ApiProperty({ format: 'uuid', example: '7f3e2d1c-0b9a-4876-8543-210fedcba987' }) id: string;
  @ApiProperty({ example: 'Pixel 9' }) name: string;
  @ApiProperty({ type: String, nullable: true, example: 'android' }) platform: string | null;
  @ApiProperty({ enum: ['ACTIVE', 'REVOKED'] }) status: string;
  @ApiProperty({
    description: 'RFC 7638 thumbprint of the device key',
    example: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
  })
  thumbprint: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-24T19:00:00.000Z' }) createdAt: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', example: '2026-11-24T19:00:00.000Z' }) lastUsedAt:
    string | null;
  @ApiPropertyOptional({ type: String, nullable: true, format: 'date-time', description: 'Revoked devices only' })
  revokedAt?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) revokeReason?: string | null;
}

export function toDeviceDto(row: DeviceRow): TrustedDeviceDto {
  return {
    id: row.id,
    name: row.name,
    platform: row.platform,
    status: row.status,
    thumbprint: row.jwk_thumbprint,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    ...(row.status === 'REVOKED'
      ? { revokedAt: row.revoked_at?.toISOString() ?? null, revokeReason: row.revoke_reason }
      : {}),
  };
}

export class DeviceListDto {
  @ApiProperty({ type: [TrustedDeviceDto] }) devices: TrustedDeviceDto[];
}

export class RevokedCountDto {
  @ApiProperty({ example: 2 }) revoked: number;
}

/** Every agent action states why (recorded in the audit trail with the agent's subject). */
export class ReasonDto {
  @ApiProperty({ example: 'Customer reported a lost phone (ticket INC-20931)', minLength: 5, maxLength: 500 })
  @IsString()
  @Length(5, 500)
  reason: string;
}

export class PageQueryDto {
  @ApiPropertyOptional({ example: 20, minimum: 1, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: "From the previous page's nextCursor" })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  cursor?: string;
}

/** Cursors are opaque to clients: base64url of the last row's full-precision timestamp and id. */
export function encodeCursor(row: { cursor: string; id: string }): string {
  return Buffer.from(JSON.stringify([row.cursor, row.id])).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): { createdAt: string; id: string } | undefined {
  if (!cursor) return undefined;
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    // created_at as PostgreSQL prints a timestamptz (microseconds kept, so ties order exactly).
    const timestamp = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;
    if (typeof createdAt === 'string' && timestamp.test(createdAt) && /^[0-9a-f-]{36}$/.test(id))
      return { createdAt, id };
  } catch {
    // reported below
  }
  throw new ValidationFailedError([{ field: 'cursor', messages: ['cursor must be a nextCursor this API returned'] }]);
}
