import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientsService } from '../clients/clients.service';
import { Clock } from '../common/clock';

const CACHE_MS = 60_000;
const RETRY_AFTER_FAILURE_MS = 5_000;
const ALLOWED_HEADERS = 'authorization, content-type, x-request-id, dpop';
const ALLOWED_METHODS = 'GET, POST, DELETE, OPTIONS';

/**
 * CORS for browser frontends: only the origins of registered clients' redirect URIs are admitted (how
 * long a change takes to apply: docs/architecture.md, "Scaling out"). Credentials (cookies) are never
 * allowed cross-origin; tokens travel in headers and bodies. CORS is an HTTP concern, so it lives with the
 * protocol layer and reads the clients domain through its service (the clients module knows nothing of browsers).
 */
@Injectable()
export class CorsPolicy {
  private cache?: { origins: Set<string>; loadedAt: number };
  private loading?: Promise<Set<string>>;

  constructor(
    private readonly clients: ClientsService,
    private readonly clock: Clock,
  ) {}

  /**
   * The admitted origins, reloaded at most once a minute by one request at a time. When the database
   * cannot answer, the last known origins keep serving (a browser fetching discovery or the JWKS must
   * not fail because of an outage they do not depend on); with none known yet, the outage is the answer.
   */
  async allowedOrigins(): Promise<Set<string>> {
    if (this.cache && this.clock.now().getTime() - this.cache.loadedAt < CACHE_MS) return this.cache.origins;
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    try {
      return await this.loading;
    } catch (error) {
      if (!this.cache) throw error;
      // Try again in a few seconds rather than on every request while the database is away.
      this.cache.loadedAt = this.clock.now().getTime() - CACHE_MS + RETRY_AFTER_FAILURE_MS;
      return this.cache.origins;
    }
  }

  private async load(): Promise<Set<string>> {
    const origins = new Set<string>();
    for (const client of await this.clients.list()) {
      if (!client.active) continue;
      for (const uri of [...client.redirectUris, ...client.postLogoutRedirectUris]) {
        try {
          origins.add(new URL(uri).origin);
        } catch {
          // Registration validates URIs; an unparsable one admits nothing.
        }
      }
    }
    this.cache = { origins, loadedAt: this.clock.now().getTime() };
    return origins;
  }

  /** Adds CORS headers for an admitted origin; answers preflight requests itself. Returns true when it replied. */
  async apply(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const origin = request.headers.origin;
    const preflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
    if (typeof origin === 'string' && (await this.allowedOrigins()).has(origin)) {
      void reply
        .header('Access-Control-Allow-Origin', origin)
        .header('Vary', 'Origin')
        .header('Access-Control-Expose-Headers', 'x-request-id, www-authenticate, retry-after, dpop-nonce');
      if (preflight) {
        void reply
          .header('Access-Control-Allow-Methods', ALLOWED_METHODS)
          .header('Access-Control-Allow-Headers', ALLOWED_HEADERS)
          .header('Access-Control-Max-Age', '600');
      }
    }
    if (preflight) {
      void reply.status(204).send();
      return true;
    }
    return false;
  }
}
