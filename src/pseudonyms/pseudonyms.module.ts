import { Module } from '@nestjs/common';
import { PairwiseSids } from './pairwise-sids';
import { PseudonymVersionsRepository } from './pseudonym-versions.repository';
import { PseudonymsService } from './pseudonyms.service';
import { SubjectPseudonymsRepository } from './subject-pseudonyms.repository';

/**
 * Pairwise subjects (OpenID Connect Core §8.1) and pairwise clients' sids (pairwise-sids.ts). Below sessions and
 * tokens: it knows customers by CUPID and clients by their subject policy only; its keys come from the
 * KeyDerivation port the tokens module provides.
 */
@Module({
  providers: [PseudonymVersionsRepository, SubjectPseudonymsRepository, PseudonymsService, PairwiseSids],
  exports: [PseudonymsService, PairwiseSids],
})
export class PseudonymsModule {}
