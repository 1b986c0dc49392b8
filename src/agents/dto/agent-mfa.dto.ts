import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import type { MfaStanding } from '../../mfa/mfa-lockout.service';

/** A read states its reason too (access to customer data is justified and audited). */
export class AgentReasonQueryDto {
  @ApiProperty({ example: 'Customer cannot receive codes (ticket INC-20931)', minLength: 5, maxLength: 500 })
  @IsString()
  @Length(5, 500)
  reason: string;
}

export class MfaStandingDto {
  @ApiProperty({ example: 'CUPID-ALICE-0001' }) cupid: string;
  @ApiProperty({ description: 'Every second factor is refused (429 MFA_LOCKED) until lockedUntil' }) locked: boolean;
  // Always sent, null when not applicable (openapi.yaml: required and nullable).
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2026-11-25T19:00:00.000Z' }) lockedUntil:
    string | null;
  @ApiProperty({
    example: 3,
    description: 'Wrong one-time codes that count now: within the window, since the last clearance',
  })
  failuresInWindow: number;
  @ApiProperty({ example: 10, description: 'MFA_CODE_FAILURE_LIMIT' }) limit: number;
  @ApiProperty({ example: 86400, description: 'MFA_CODE_FAILURE_WINDOW_SECONDS' }) windowSeconds: number;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2026-11-24T19:00:00.000Z' })
  lastLockedAt: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: null }) clearedAt: string | null;
  @ApiProperty({ nullable: true, type: String, example: null, description: 'e.g. AGENT:agent-007' }) clearedBy:
    string | null;
}

export function toMfaStandingDto(standing: MfaStanding): MfaStandingDto {
  const iso = (value: Date | null) => value?.toISOString() ?? null;
  return {
    cupid: standing.cupid,
    locked: standing.locked,
    lockedUntil: iso(standing.lockedUntil),
    failuresInWindow: standing.failuresInWindow,
    limit: standing.limit,
    windowSeconds: standing.windowSeconds,
    lastLockedAt: iso(standing.lastLockedAt),
    clearedAt: iso(standing.clearedAt),
    clearedBy: standing.clearedBy,
  };
}
