import { Inject, Injectable } from '@nestjs/common';
import { createLocalJWKSet, errors, JSONWebKeySet, jwtVerify, JWTVerifyOptions, JWTVerifyResult } from 'jose';
import { Clock } from '../../common/clock';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import type { OAuthClient } from '../../clients/oauth-client.entity';
import { isPublicAsymmetricKey } from './algorithms';

/** A client's keys could not be had (jwks_uri unreachable, not a JWKS): the assertion cannot be verified. */
export class ClientKeysUnavailableError extends Error {}

/** An unknown kid refetches the jwks_uri at once, but not more often than this per client (a flood of bad kids). */
const REFETCH_MIN_INTERVAL_MS = 10_000;
/** Clients whose fetched JWKS is kept in memory; the oldest entry leaves first. */
const MAX_CACHED_CLIENTS = 1000;
/** A JWKS document larger than this is refused (a client's handful of keys fits many times over). */
const MAX_JWKS_BYTES = 64 * 1024;

interface CachedKeys {
  uri: string;
  keys: JSONWebKeySet;
  fetchedAt: number;
}

/**
 * A client's registered public keys (RFC 7591 §2): its `jwks`, or its `jwks_uri` fetched with a timeout and
 * cached for CLIENT_JWKS_CACHE_SECONDS (a bounded TTL: a rotated-out key stops working within it), fetched again
 * once when a JWT names a kid the cached set does not have (the client rotated). Called before any database
 * work of the request, so no connection is held while the client's server answers. Private or symmetric keys
 * in a client's set are ignored.
 */
@Injectable()
export class ClientKeys {
  private readonly fetched = new Map<string, CachedKeys>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** jwtVerify against the client's keys, refetching a jwks_uri once on an unknown kid. */
  async verify(client: OAuthClient, jwt: string, options: JWTVerifyOptions): Promise<JWTVerifyResult> {
    if (client.jwks) return jwtVerify(jwt, createLocalJWKSet(publicOnly(client.jwks)), options);
    if (!client.jwksUri) throw new ClientKeysUnavailableError('the client has registered no keys');
    const uri = client.jwksUri;
    const first = await this.keysFromUri(client.clientId, uri, false);
    try {
      return await jwtVerify(jwt, createLocalJWKSet(first.keys), options);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      if (this.clock.now().getTime() - first.fetchedAt < REFETCH_MIN_INTERVAL_MS) throw error;
      const again = await this.keysFromUri(client.clientId, uri, true);
      return jwtVerify(jwt, createLocalJWKSet(again.keys), options);
    }
  }

  private async keysFromUri(clientId: string, uri: string, refresh: boolean): Promise<CachedKeys> {
    const now = this.clock.now().getTime();
    const cached = this.fetched.get(clientId);
    const ttlMs = this.config.proofs.clientJwksCacheSeconds * 1000;
    if (!refresh && cached && cached.uri === uri && now - cached.fetchedAt < ttlMs) return cached;
    const keys = await this.fetchJwks(uri);
    const entry = { uri, keys, fetchedAt: now };
    this.fetched.delete(clientId);
    if (this.fetched.size >= MAX_CACHED_CLIENTS) this.fetched.delete(this.fetched.keys().next().value!);
    this.fetched.set(clientId, entry);
    return entry;
  }

  private async fetchJwks(uri: string): Promise<JSONWebKeySet> {
    // Keys fetched over plain http could be swapped on the way: https only, except outside production.
    if (this.config.nodeEnv === 'production' && !uri.startsWith('https://'))
      throw new ClientKeysUnavailableError('jwks_uri must be https');
    let body: unknown;
    try {
      const response = await fetch(uri, {
        headers: { accept: 'application/json, application/jwk-set+json' },
        redirect: 'error',
        signal: AbortSignal.timeout(this.config.proofs.clientJwksTimeoutMs),
      });
      if (!response.ok) throw new ClientKeysUnavailableError(`jwks_uri answered ${response.status}`);
      const text = await response.text();
      if (text.length > MAX_JWKS_BYTES) throw new ClientKeysUnavailableError('jwks_uri document too large');
      body = JSON.parse(text);
    } catch (error) {
      if (error instanceof ClientKeysUnavailableError) throw error;
      throw new ClientKeysUnavailableError('jwks_uri could not be fetched');
    }
    if (!body || typeof body !== 'object' || !Array.isArray((body as { keys?: unknown }).keys))
      throw new ClientKeysUnavailableError('jwks_uri is not a JWK set');
    return publicOnly(body as { keys: unknown[] });
  }
}

function publicOnly(set: { keys: unknown[] }): JSONWebKeySet {
  return { keys: set.keys.filter(isPublicAsymmetricKey) };
}
