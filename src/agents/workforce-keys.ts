import { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';

/**
 * The public keys of the workforce identity provider. A remote JWKS (jose) is cached and fetched again
 * when a token names a key it has not seen (with a cool-down, so garbage kids cannot hammer the IdP); a
 * JWKS file (development) is read again on an unknown kid.
 */
@Injectable()
export class WorkforceKeys {
  private remote?: JWTVerifyGetKey;
  private local?: JWTVerifyGetKey;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const url = config.agents.jwksUrl;
    if (!url.startsWith('file:'))
      this.remote = createRemoteJWKSet(new URL(url), {
        cacheMaxAge: 10 * 60_000,
        cooldownDuration: 30_000,
        timeoutDuration: 3000,
      });
  }

  /** The key that verifies this JWT, as the KeyObject passport-jwt (jsonwebtoken) wants. */
  async keyFor(rawJwt: string): Promise<KeyObject> {
    const header = decodeProtectedHeader(rawJwt);
    const input = { alg: header.alg ?? '', kid: header.kid };
    if (this.remote) return KeyObject.from((await this.remote(input, undefined as never)) as CryptoKey);
    if (!this.local) this.local = await this.readFile();
    try {
      return KeyObject.from((await this.local(input, undefined as never)) as CryptoKey);
    } catch {
      this.local = await this.readFile();
      return KeyObject.from((await this.local(input, undefined as never)) as CryptoKey);
    }
  }

  private async readFile(): Promise<JWTVerifyGetKey> {
    const path = resolve(this.config.agents.jwksUrl.slice('file:'.length));
    return createLocalJWKSet(JSON.parse(await readFile(path, 'utf8')) as JSONWebKeySet);
  }
}
