import { ApiProperty } from '@nestjs/swagger';

export class RecoveryCodesDto {
  @ApiProperty({
    type: [String],
    example: ['ABCDE-FGHJK', 'MNPQR-STUVW'],
    description: 'Ten single-use codes, shown this once: the customer keeps them somewhere safe',
  })
  codes: string[];
}
