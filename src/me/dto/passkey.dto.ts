import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Length } from 'class-validator';
import type { PasskeyCredential } from '../../mfa/passkeys/passkeys.repository';

export class PasskeyDto {
  @ApiProperty({ format: 'uuid', example: '6f1c2a3e-4b5d-4e6f-8a9b-0c1d2e3f4a5b' }) id: string;
  @ApiProperty({ example: 'iPhone' }) name: string;
  @ApiProperty({
    example: 'fbfc3007-154e-4ecc-8c0b-6e020557d7bd',
    description: "The authenticator model's AAGUID (all zeros when the authenticator does not say)",
  })
  aaguid: string;
  @ApiProperty({ type: [String], example: ['internal', 'hybrid'] }) transports: string[];
  @ApiProperty({ description: 'Backup eligible (BE): a synced passkey that may leave this device' })
  backupEligible: boolean;
  @ApiProperty({ description: 'Backed up (BS), as the authenticator said at its last use' }) backupState: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastUsedAt: string | null;
}

export class PasskeyListDto {
  @ApiProperty({ type: [PasskeyDto] }) passkeys: PasskeyDto[];
}

export class PasskeyRegistrationOptionsDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'WebAuthn creation options (PublicKeyCredentialCreationOptionsJSON): pass them to PublicKeyCredential.parseCreationOptionsFromJSON ' +
      'and navigator.credentials.create({ publicKey }); the challenge is single use, valid WEBAUTHN_CHALLENGE_TTL_SECONDS, for this session only.',
  })
  publicKey: Record<string, unknown>;
}

export class RegisterPasskeyDto {
  @ApiPropertyOptional({ example: 'iPhone', description: 'A name the customer recognises (default: "Passkey")' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  name?: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'PublicKeyCredential.toJSON() of navigator.credentials.create() (RegistrationResponseJSON)',
  })
  @IsObject()
  credential: Record<string, unknown>;
}

export function toPasskeyDto(passkey: PasskeyCredential): PasskeyDto {
  return {
    id: passkey.id,
    name: passkey.name,
    aaguid: passkey.aaguid,
    transports: passkey.transports,
    backupEligible: passkey.backupEligible,
    backupState: passkey.backupState,
    createdAt: passkey.createdAt.toISOString(),
    lastUsedAt: passkey.lastUsedAt?.toISOString() ?? null,
  };
}
