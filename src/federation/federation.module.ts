import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { FederationController } from './federation.controller';
import { FederationLinksRepository } from './federation-links.repository';
import { FederationLinksService } from './federation-links.service';
import { FederationProvidersRepository } from './federation-providers.repository';
import { FederationProvidersService } from './federation-providers.service';
import { FederationRelyingParty } from './federation-relying-party';
import { FederationSyncLogRepository } from './federation-sync-log.repository';
import { FederationTokenRefreshesRepository } from './federation-token-refreshes.repository';
import { FederationTokensRepository } from './federation-tokens.repository';
import { FederationTokensService } from './federation-tokens.service';
import { UpstreamTokenClient } from './upstream-token-client';
import { UpstreamConfigurations } from './upstream-configurations';

/**
 * Federation (issue 21): upstream identity providers, the links of their subjects to CUPIDs, and the providers'
 * tokens kept per link. A domain module: it never imports src/journeys or src/oauth; the FEDERATED journey step
 * imports it. The client secrets and the tokens are sealed under the key-encryption key (KeysModule's FactorKeys).
 */
@Module({
  imports: [KeysModule],
  controllers: [FederationController],
  providers: [
    FederationProvidersRepository,
    FederationProvidersService,
    FederationLinksRepository,
    FederationLinksService,
    FederationSyncLogRepository,
    FederationRelyingParty,
    FederationTokensRepository,
    FederationTokenRefreshesRepository,
    FederationTokensService,
    UpstreamConfigurations,
    UpstreamTokenClient,
  ],
  exports: [
    FederationProvidersRepository,
    FederationProvidersService,
    FederationLinksRepository,
    FederationLinksService,
    FederationSyncLogRepository,
    FederationRelyingParty,
    FederationTokensRepository,
    FederationTokenRefreshesRepository,
    FederationTokensService,
  ],
})
export class FederationModule {}
