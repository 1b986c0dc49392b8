import { Module } from '@nestjs/common';
import { FederationLinksRepository } from './federation-links.repository';
import { FederationProvidersRepository } from './federation-providers.repository';
import { FederationProvidersService } from './federation-providers.service';
import { FederationSyncLogRepository } from './federation-sync-log.repository';

/**
 * Federation (issue 21): upstream identity providers, the links of their subjects to CUPIDs, and (helper
 * "fedtokens") the providers' tokens kept per link. A domain module: it never imports src/journeys or src/oauth;
 * the FEDERATED journey step imports it.
 */
@Module({
  providers: [
    FederationProvidersRepository,
    FederationProvidersService,
    FederationLinksRepository,
    FederationSyncLogRepository,
  ],
  exports: [
    FederationProvidersRepository,
    FederationProvidersService,
    FederationLinksRepository,
    FederationSyncLogRepository,
  ],
})
export class FederationModule {}
