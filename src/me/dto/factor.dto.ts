import { ApiProperty } from '@nestjs/swagger';
import type { CustomerFactorSummary } from '../../common/customer-factors';

export class FactorDto {
  @ApiProperty({ example: 'device', description: 'sms, device, email, totp, passkey, recovery_codes, ...' })
  kind: string;
  @ApiProperty({ example: '5b0c3c1e-8f0a-4c1b-9d47-2f5e6a7b8c9d', description: "The factor's id within its kind" })
  id: string;
  @ApiProperty({ example: 'Pixel 8 (android)' }) label: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2026-11-20T10:00:00.000Z' })
  createdAt: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: null }) lastUsedAt: string | null;
  @ApiProperty({ description: 'Whether it can be removed on its own (the directory phone cannot)' })
  revocable: boolean;
}

export class FactorListDto {
  @ApiProperty({ type: [FactorDto] }) factors: FactorDto[];
}

export function toFactorDto(factor: CustomerFactorSummary): FactorDto {
  return {
    kind: factor.kind,
    id: factor.id,
    label: factor.label,
    createdAt: factor.createdAt?.toISOString() ?? null,
    lastUsedAt: factor.lastUsedAt?.toISOString() ?? null,
    revocable: factor.revocable,
  };
}
