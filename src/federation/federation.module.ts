import { Module } from '@nestjs/common';
import { FederationLinksRepository } from './federation-links.repository';
import { FederationProvidersRepository } from './federation-providers.repository';
import { FederationProvidersService } from './federation-providers.service';
import { FederationSyncLogRepository } from './federation-sync-log.repository';
import { FederationTokenRefreshesRepository } from './federation-token-refreshes.repository';
import { FederationTokensRepository } from './federation-tokens.repository';
import { FederationTokensService } from './federation-tokens.service';
import { UpstreamTokenClient } from './upstream-token-client';

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
    FederationTokensRepository,
    FederationTokenRefreshesRepository,
    UpstreamTokenClient,
    FederationTokensService,
  ],
  exports: [
    FederationProvidersRepository,
    FederationProvidersService,
    FederationLinksRepository,
    FederationSyncLogRepository,
    FederationTokensRepository,
    FederationTokenRefreshesRepository,
    FederationTokensService,
  ],
})
export class FederationModule {}
