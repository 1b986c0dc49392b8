import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

/** Resolving a subject reads customer data: the agent states why (audited), as for every agent read. */
export class SubjectLookupQueryDto {
  @ApiProperty({ example: 'Relying party support ticket INC-20931', minLength: 5, maxLength: 500 })
  @IsString()
  @Length(5, 500)
  reason: string;
}

/** The customer behind a client's `sub` (OpenID Connect Core §8: a pairwise pseudonym, or the CUPID itself). */
export class SubjectResolutionDto {
  @ApiProperty({ example: 'brokerage-web' }) clientId: string;
  @ApiProperty({ example: 'Qk3n2mXr7pT0aLq9vW1cYb8eHf5sJd6uZo4iNg2kRlM' }) sub: string;
  @ApiProperty({ enum: ['public', 'pairwise'], example: 'pairwise' }) subjectType: 'public' | 'pairwise';
  @ApiProperty({ example: 'CUPID-1001', description: 'The customer, as every other agent view names them' })
  cupid: string;
}
