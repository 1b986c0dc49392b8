import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, Matches, MaxLength } from 'class-validator';

export class AddEmailDto {
  @ApiProperty({ example: 'alice@example.com', description: 'The address to confirm; a code is sent to it' })
  @IsEmail(
    { allow_display_name: false, allow_ip_domain: false, require_tld: true },
    { message: 'address must be an email address' },
  )
  @MaxLength(254)
  address: string;
}

export class VerifyEmailDto {
  @ApiProperty({ example: '123456', description: 'The 6-digit code from the email' })
  @Matches(/^\d{6}$/, { message: 'code must be 6 digits' })
  code: string;
}

export class EmailCodeSentDto {
  @ApiProperty({ format: 'date-time', description: 'When the code stops working' })
  expiresAt: string;

  @ApiProperty({
    format: 'date-time',
    description: 'When another code may be asked for (POST again with the same address)',
  })
  resendAvailableAt: string;
}

export class VerifiedEmailDto {
  @ApiProperty({ example: 'alice@example.com' })
  address: string;

  @ApiProperty({ format: 'date-time' })
  verifiedAt: string;
}
