import { ApiProperty } from '@nestjs/swagger';
import type { AccountStanding } from '../../journeys/lockout/lockout.service';
import type { FactorResetOutcome } from '../agent-recovery.service';

export class FactorResetDto {
  @ApiProperty({ example: '0f4a3b2c-1d5e-4f60-8a7b-9c0d1e2f3a4b' }) id: string;
  @ApiProperty({ example: 'CUPID-ALICE-0001' }) cupid: string;
  @ApiProperty({
    enum: ['PENDING', 'APPLIED'],
    description: 'PENDING: waits for a second, different agent (FACTOR_RESET_APPROVAL=two-agents)',
  })
  status: 'PENDING' | 'APPLIED';
  @ApiProperty({ example: 'Customer lost their phone; identity checked by video call (INC-20931)' }) reason: string;
  @ApiProperty({ example: 'agent-007' }) requestedBy: string;
  @ApiProperty({ nullable: true, type: String, example: null }) approvedBy: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) expiresAt: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { device: 1, sms: 0 },
    description: 'Factors revoked per kind (empty while pending)',
  })
  revoked: Record<string, number>;
}

export function toFactorResetDto(outcome: FactorResetOutcome): FactorResetDto {
  const { reset } = outcome;
  return {
    id: reset.id,
    cupid: reset.cupid,
    status: reset.status,
    reason: reset.reason,
    requestedBy: reset.requested_by,
    approvedBy: reset.approved_by,
    expiresAt: reset.expires_at.toISOString(),
    revoked: outcome.revoked,
  };
}

export class AccountLockoutDto {
  @ApiProperty({ example: 'CUPID-ALICE-0001' }) cupid: string;
  @ApiProperty({ description: 'Password logins are refused now (a lock or a suspension)' }) locked: boolean;
  @ApiProperty({ description: 'Locked until support unlocks it (LOCKOUT_SUSPEND_AFTER consecutive failures)' })
  suspended: boolean;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    example: null,
    description: 'End of a temporary lock',
  })
  lockedUntil: string | null;
  @ApiProperty({ example: 0 }) consecutiveFailures: number;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: null }) lastFailureAt: string | null;
}

export function toAccountLockoutDto(cupid: string, standing: AccountStanding): AccountLockoutDto {
  return {
    cupid,
    locked: standing.locked,
    suspended: standing.suspended,
    lockedUntil: standing.lockedUntil?.toISOString() ?? null,
    consecutiveFailures: standing.consecutiveFailures,
    lastFailureAt: standing.lastFailureAt?.toISOString() ?? null,
  };
}
