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
  @ApiProperty() id: string;
  @ApiProperty({ example: 'session.revoked' }) type: string;
  @ApiProperty({ enum: ['SUCCESS', 'FAILURE'] }) outcome: string;
  @ApiProperty({ enum: ['CUSTOMER', 'AGENT', 'CLIENT', 'SYSTEM'] }) actorType: string;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'agent-007' }) actorId: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) sessionId: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) contextId: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) clientId: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) ipAddress: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) userAgent: string | null;
  @ApiProperty({ example: { reason: 'lost phone' } }) details: Record<string, unknown>;
  @ApiProperty() createdAt: string;
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
  @ApiPropertyOptional({ description: 'Pass as `cursor` for the next (older) page' }) nextCursor?: string;
}
