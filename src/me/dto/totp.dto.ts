import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

export class TotpEnrolmentDto {
  @ApiProperty({ format: 'uuid', description: 'The new credential; confirm it with its first code' })
  id: string;

  @ApiProperty({
    example: 'otpauth://totp/CIAM:alice?issuer=CIAM&secret=JBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30',
    description: 'Shown once: the frontend renders it as a QR code (the service makes no image)',
  })
  otpauthUri: string;

  @ApiProperty({ example: 'JBSWY3DPEHPK3PXP', description: 'The same secret in base32, for typing it in; shown once' })
  secret: string;
}

export class TotpConfirmDto {
  @ApiProperty({ example: '123456', description: 'The 6-digit code the authenticator app shows now' })
  @Matches(/^\d{6}$/, { message: 'code must be 6 digits' })
  code: string;
}
