import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { PairwiseSids } from './pairwise-sids';
import { PseudonymVersionsRepository } from './pseudonym-versions.repository';
import { PseudonymsService } from './pseudonyms.service';
import { SubjectPseudonymsRepository } from './subject-pseudonyms.repository';

/**
 * Pairwise subjects (OpenID Connect Core §8.1) and pairwise clients' sids (pairwise-sids.ts). Below sessions and
 * tokens: it knows customers by CUPID and clients by their subject policy only; its keys are HKDF keys of the
 * key-encryption key (KeysModule's KeyDerivation).
 */
@Module({
  imports: [KeysModule],
  providers: [PseudonymVersionsRepository, SubjectPseudonymsRepository, PseudonymsService, PairwiseSids],
  exports: [PseudonymsService, PairwiseSids],
})
export class PseudonymsModule {}
