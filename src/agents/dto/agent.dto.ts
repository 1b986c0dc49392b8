import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, Length, Matches } from 'class-validator';
import type { AuditTrailRow } from '../../audit/audit-trail.repository';
import { PageQueryDto } from '../../me/dto/session.dto';

/** Reads by an agent state their reason too (access to customer data is justified and audited). */
export class AgentReadQueryDto extends PageQueryDto {
  @ApiProperty({ example: 'Customer called about an unknown sign-in (ticket INC-20931)', minLength: 5, maxLength: 500 })
  @IsString()
  @Length(5, 500)
  reason: string;
}

export class AuditQueryDto extends AgentReadQueryDto {
  @ApiPropertyOptional({ example: '2026-11-01T00:00:00Z', description: 'Inclusive' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ example: '2026-12-01T00:00:00Z', description: 'Exclusive' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ example: 'session.revoked,credentials.rejected', description: 'Comma-separated event types' })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9_.]*(,[a-z][a-z0-9_.]*){0,19}$/, { message: 'types must be comma-separated event types' })
  types?: string;
}

export class AuditEventDto {
  @ApiProperty({ format: 'uuid', example: '0d5b8f0e-6a1c-4f7e-9b2a-3c4d5e6f7a8b' }) id: string;
  @ApiProperty({ example: 'session.revoked' }) type: string;
  @ApiProperty({ enum: ['SUCCESS', 'FAILURE'] }) outcome: string;
  @ApiProperty({ enum: ['CUSTOMER', 'AGENT', 'CLIENT', 'SYSTEM'] }) actorType: string;
  // Always sent, null when the event has none (openapi.yaml: required and nullable).
  @ApiProperty({ type: String, nullable: true, example: 'agent-007' }) actorId: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid', example: '2b1c9a5e-3f0e-4a8f-9d1c-7e2f5b6a8c90' })
  sessionId: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid', example: null }) contextId: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'demo-spa' }) clientId: string | null;
  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' }) ipAddress: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)' })
  userAgent: string | null;
  @ApiProperty({ example: { reason: 'lost phone' } }) details: Record<string, unknown>;
  @ApiProperty({ format: 'date-time', example: '2026-11-24T19:00:00.000Z' }) createdAt: string;
}

export function toAuditEventDto(row: AuditTrailRow): AuditEventDto {
  return {
    id: row.id,
    type: row.event_type,
    outcome: row.outcome,
    actorType: row.actor_type,
    actorId: row.actor_id,
    sessionId: row.session_id,
    contextId: row.context_id,
    clientId: row.client_id,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    details: row.details,
    createdAt: row.created_at.toISOString(),
  };
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEventDto] }) events: AuditEventDto[];
  @ApiPropertyOptional({
    description: 'Pass as `cursor` for the next (older) page; absent on the last page',
    example: 'MjAyNi0xMS0yNFQxOTowMDowMC4wMDBafDBkNWI4ZjBl',
  })
  nextCursor?: string;
}
