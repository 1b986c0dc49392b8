import { Module } from '@nestjs/common';
import { PseudonymVersionsRepository } from './pseudonym-versions.repository';
import { PseudonymsService } from './pseudonyms.service';
import { SubjectPseudonymsRepository } from './subject-pseudonyms.repository';

/**
 * Pairwise subjects (OpenID Connect Core §8.1). Below sessions and tokens: it knows customers by CUPID and
 * clients by their subject policy only; its key comes from the KeyDerivation port the tokens module provides.
 */
@Module({
  providers: [PseudonymVersionsRepository, SubjectPseudonymsRepository, PseudonymsService],
  exports: [PseudonymsService],
})
export class PseudonymsModule {}
