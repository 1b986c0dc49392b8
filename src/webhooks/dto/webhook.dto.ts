import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsOptional, IsString, Length } from 'class-validator';
import type { WebhookSubscriptionRow } from '../webhook-subscriptions.repository';

export class CreateWebhookDto {
  @ApiProperty({ example: 'SOC feed', minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  name: string;

  @ApiProperty({
    example: 'https://soc.example.com/hooks/ciam',
    description: 'https (plain http only to a loopback host outside production); no credentials, no fragment',
  })
  @IsString()
  @Length(1, 2000)
  url: string;

  @ApiProperty({
    example: ['session.revoked', 'mfa.locked'],
    description: 'Audit event types (docs/audit-events.md), or ["*"] for every event',
    type: [String],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(200)
  @IsString({ each: true })
  eventTypes: string[];

  @ApiPropertyOptional({ default: false, description: "Send the customer's CUPID (also as a customer actor's id)" })
  @IsOptional()
  @IsBoolean()
  includeCupid?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Send the IP address and user agent' })
  @IsOptional()
  @IsBoolean()
  includeNetwork?: boolean;

  @ApiPropertyOptional({
    default: false,
    description: "Send the event's details (may hold masked phone numbers, device ids)",
  })
  @IsOptional()
  @IsBoolean()
  includeDetails?: boolean;
}

export class WebhookSubscriptionDto {
  @ApiProperty({ format: 'uuid', example: '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b' }) id: string;
  @ApiProperty({ example: 'SOC feed' }) name: string;
  @ApiProperty({ example: 'https://soc.example.com/hooks/ciam' }) url: string;
  @ApiProperty({ example: ['session.revoked', 'mfa.locked'], type: [String] }) eventTypes: string[];
  @ApiProperty({ example: false }) includeCupid: boolean;
  @ApiProperty({ example: false }) includeNetwork: boolean;
  @ApiProperty({ example: false }) includeDetails: boolean;
  @ApiProperty({ example: true }) active: boolean;
  @ApiProperty({ example: 'AGENT:agent-007' }) createdBy: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-30T23:00:00.000Z' }) createdAt: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', example: null }) secretRotatedAt: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', example: null }) disabledAt: string | null;
}

export class WebhookSecretDto {
  @ApiProperty({ type: WebhookSubscriptionDto }) subscription: WebhookSubscriptionDto;
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description:
      'Shown once: the HMAC key of the webhook-signature header (Standard Webhooks). Only a sealed copy is kept.',
  })
  secret: string;
}

export class WebhookListDto {
  @ApiProperty({ type: [WebhookSubscriptionDto] }) subscriptions: WebhookSubscriptionDto[];
}

export function toWebhookDto(row: WebhookSubscriptionRow): WebhookSubscriptionDto {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    eventTypes: row.event_types,
    includeCupid: row.include_cupid,
    includeNetwork: row.include_network,
    includeDetails: row.include_details,
    active: row.active,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    secretRotatedAt: row.secret_rotated_at?.toISOString() ?? null,
    disabledAt: row.disabled_at?.toISOString() ?? null,
  };
}
