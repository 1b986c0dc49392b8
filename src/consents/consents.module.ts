import { Module } from '@nestjs/common';
import { ConsentRecordsRepository } from './consent-records.repository';

/**
 * Consent records (issue 16 item 2): what a customer allowed each third-party client, per scope. The domain
 * data only: the CONSENT journey step (src/journeys), single sign-on (src/oauth) and the revocation cascade
 * (src/tokens, which owns the tokens that consent makes valid) build on it.
 */
@Module({
  providers: [ConsentRecordsRepository],
  exports: [ConsentRecordsRepository],
})
export class ConsentsModule {}
