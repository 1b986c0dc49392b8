import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { ClientRegistration, ClientsService } from './clients.service';

/** The clients `npm start` registers in development so that the service is usable at once (README). */
export const DEMO_CLIENTS: ClientRegistration[] = [
  {
    clientId: 'demo-spa',
    name: 'Demo single-page app (public, PKCE)',
    type: 'PUBLIC',
    redirectUris: ['http://localhost:5173/callback'],
    postLogoutRedirectUris: ['http://localhost:5173/'],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['openid', 'profile', 'email', 'phone', 'offline_access'],
  },
  {
    clientId: 'demo-service',
    name: 'Demo back-end service (confidential)',
    type: 'CONFIDENTIAL',
    secret: 'demo-service-secret',
    grantTypes: ['client_credentials'],
    scopes: ['openid'],
    canIntrospect: true,
  },
];

@Injectable()
export class DemoClientsSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger(DemoClientsSeeder.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clients: ClientsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.oidc.seedDemoClients) return;
    for (const registration of DEMO_CLIENTS) {
      if (await this.clients.findActive(registration.clientId)) continue;
      try {
        await this.clients.register(registration, 'demo-seed');
        this.logger.warn(
          `registered development client "${registration.clientId}" (SEED_DEMO_CLIENTS=true; never in production)`,
        );
      } catch (error) {
        // Another instance seeding at the same moment registered it first.
        this.logger.debug(`demo client "${registration.clientId}" not seeded: ${(error as Error).message}`);
      }
    }
  }
}
