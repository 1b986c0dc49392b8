import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import {
  calculateJwkThumbprint,
  CryptoKey,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  importJWK,
  JSONWebKeySet,
  JWK,
  JWTPayload,
  JWTVerifyResult,
  jwtVerify,
  ProtectedHeaderParameters,
} from 'jose';
import { createPrivateKey, KeyObject, sign as signBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { open, seal } from '../../common/crypto';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { KEY_ENCRYPTION_KEY } from '../../keys/key-encryption-key';
import type { KeyEncryptionKey } from '../../keys/key-encryption-key';
import { SigningKey } from './signing-key.entity';
import { SigningKeysRepository } from './signing-keys.repository';

/**
 * How long an instance trusts its cached view of the keys before it reads them again: the background
 * refresh of the published keys runs this often, and the active key is re-read this often on use.
 */
const CACHE_SECONDS = 30;
/** The longest any token can live (the schema caps per-client lifetimes at one hour). */
const MAX_TOKEN_TTL_SECONDS = 3600;

interface ActiveKey {
  kid: string;
  alg: 'ES256' | 'RS256';
  /** node:crypto's key object, imported once (from the PKCS#8 when the key is loaded), never per token. */
  privateKey: KeyObject;
  /** The protected header of each token type, encoded once per key. */
  headers: Record<JwtType, string>;
  loadedAt: number;
}

export class SigningKeyUnavailableError extends Error {}

/**
 * The `typ` of each kind of JWT the service signs: access tokens (RFC 9068), ID tokens, logout tokens (OIDC
 * Back-Channel Logout 1.0 §2.4) and security event tokens (RFC 8417 §2.3): explicit types keep one kind from
 * being accepted as another.
 */
export type JwtType = 'at+jwt' | 'JWT' | 'logout+jwt' | 'secevent+jwt';

/**
 * JWT signing keys, shared by every instance through the database. One key signs at a time; after a
 * rotation the previous key stays in the JWKS until every token it signed has expired.
 */
@Injectable()
export class SigningKeysService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SigningKeysService.name);
  private active?: ActiveKey;
  private readonly publicKeys = new Map<string, CryptoKey | Uint8Array>();
  /**
   * The published keys, served from memory: relying parties keep verifying our tokens while the
   * database is down. Refreshed in the background and after each rotation, never on a request.
   */
  private published?: { body: JSONWebKeySet; loadedAt: number };
  private refreshTimer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KEY_ENCRYPTION_KEY) private readonly kek: KeyEncryptionKey,
    private readonly dataSource: DataSource,
    private readonly keys: SigningKeysRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** Creates the first key if there is none, and fails start-up when the stored key cannot be opened. */
  async onApplicationBootstrap(): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await this.keys.lockForRotation(manager);
      if (!(await this.keys.findActive(manager))) await this.createActiveKey(manager, 'initial');
    });
    await this.activeKey();
    await this.refreshPublishedKeys();
    this.refreshTimer = setInterval(() => void this.refreshPublishedKeysQuietly(), CACHE_SECONDS * 1000);
    this.refreshTimer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.refreshTimer);
  }

  /** True once this instance holds a signing key and the published keys (readiness). */
  hasKeys(): boolean {
    return this.active !== undefined && this.published !== undefined;
  }

  /** Inside a transaction, pass its manager, so a key refresh does not take a second pooled connection. */
  async sign(payload: JWTPayload, type: JwtType, manager?: EntityManager): Promise<string> {
    const key = await this.activeKey(manager);
    // RFC 7515 compact serialisation, signed with node:crypto directly: WebCrypto's per-call algorithm
    // normalisation (jose's path) cost more CPU than the ES256 signature itself (issue 14). ES256 signatures
    // are the raw r||s pair (RFC 7518 §3.4, `ieee-p1363`); RS256 is PKCS#1 v1.5, node's default for RSA.
    const input = `${key.headers[type]}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    const signature = signBytes(
      'sha256',
      Buffer.from(input),
      key.alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' } : key.privateKey,
    );
    return `${input}.${signature.toString('base64url')}`;
  }

  /** Verifies a JWT we issued, whichever of our published keys signed it. */
  async verify(
    jwt: string,
    options: { audience?: string; typ?: string; ignoreExpiration?: boolean },
  ): Promise<JWTVerifyResult> {
    return jwtVerify(jwt, (header: ProtectedHeaderParameters) => this.publicKey(header.kid), {
      issuer: this.config.oidc.issuer,
      audience: options.audience,
      typ: options.typ,
      algorithms: ['ES256', 'RS256'],
      clockTolerance: options.ignoreExpiration ? Number.MAX_SAFE_INTEGER : this.config.tokens.clockSkewSeconds,
      currentDate: this.clock.now(),
    });
  }

  /**
   * Verifies a long-lived record we signed (an audit checkpoint, a retention record) with whichever key we ever
   * held, retired and no longer published keys included: such a record outlives every token's key.
   */
  async verifyRecord(jws: string, audience: string): Promise<JWTVerifyResult> {
    return jwtVerify(
      jws,
      async (header: ProtectedHeaderParameters) => {
        const key = header.kid ? await this.keys.findByKid(header.kid) : null;
        if (!key) throw new Error(`no signing key ${header.kid ?? '(no kid)'}`);
        return importJWK({ ...key.publicJwk, alg: key.alg } as JWK, key.alg);
      },
      { issuer: this.config.oidc.issuer, audience, algorithms: ['ES256', 'RS256'] },
    );
  }

  /** When the key now signing was created (null before the first key exists). */
  async activeKeyCreatedAt(): Promise<Date | null> {
    return (await this.keys.findActive())?.createdAt ?? null;
  }

  /** The JWKS from memory; read from the database only before the first refresh has succeeded. */
  async jwks(): Promise<JSONWebKeySet> {
    return (this.published ?? (await this.refreshPublishedKeys())).body;
  }

  /** Reads the published keys, and keeps their public keys for verification. */
  private async refreshPublishedKeys(): Promise<{ body: JSONWebKeySet; loadedAt: number }> {
    const published = await this.keys.findPublished(this.clock.now());
    for (const key of published) {
      if (!this.publicKeys.has(key.kid))
        this.publicKeys.set(key.kid, await importJWK({ ...key.publicJwk, alg: key.alg } as JWK, key.alg));
    }
    const body = {
      keys: published.map((key) => ({ ...key.publicJwk, kid: key.kid, alg: key.alg, use: 'sig' }) as JWK),
    };
    this.published = { body, loadedAt: Date.now() };
    return this.published;
  }

  /** A failed refresh keeps serving the last published keys: better slightly stale than none. */
  private async refreshPublishedKeysQuietly(): Promise<void> {
    try {
      await this.refreshPublishedKeys();
    } catch (error) {
      const age = this.published ? Math.round((Date.now() - this.published.loadedAt) / 1000) : undefined;
      this.logger.warn(
        { err: { message: (error as Error).message }, ageSeconds: age },
        'could not refresh the published signing keys; serving the last ones',
      );
    }
  }

  /** Retires the signing key and activates a new one, in one transaction, serialised across instances. */
  async rotate(reason: string, actorId = 'system'): Promise<{ kid: string; retiredKid?: string }> {
    const result = await this.dataSource.transaction(async (manager) => {
      await this.keys.lockForRotation(manager);
      const current = await this.keys.findActive(manager);
      const now = this.clock.now();
      if (current) {
        const publishUntil = new Date(
          now.getTime() + (MAX_TOKEN_TTL_SECONDS + this.config.tokens.clockSkewSeconds + CACHE_SECONDS) * 1000,
        );
        await this.keys.retire(manager, current.kid, now, publishUntil);
        await this.audit.record(manager, {
          type: AUDIT_EVENT_TYPES.SIGNING_KEY_RETIRED,
          outcome: 'SUCCESS',
          actor: { type: 'SYSTEM', id: actorId },
          details: { kid: current.kid, publishUntil: publishUntil.toISOString(), reason },
        });
      }
      const kid = await this.createActiveKey(manager, reason, actorId);
      return { kid, retiredKid: current?.kid };
    });
    this.active = undefined;
    await this.refreshPublishedKeysQuietly();
    return result;
  }

  private async createActiveKey(manager: EntityManager, reason: string, actorId = 'system'): Promise<string> {
    const alg = this.config.oidc.signingAlg;
    const { publicKey, privateKey } = await generateKeyPair(alg, {
      extractable: true,
      ...(alg === 'RS256' ? { modulusLength: 3072 } : {}),
    });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const pkcs8 = await exportPKCS8(privateKey);
    await this.keys.insert(manager, {
      kid,
      alg,
      publicJwk: publicJwk as Record<string, unknown>,
      kekId: this.kek.id,
      privateKeyEncrypted: seal(this.kek.key, Buffer.from(pkcs8), `signing-key:${kid}`),
      status: 'ACTIVE',
      createdAt: this.clock.now(),
    });
    await this.audit.record(manager, {
      type: AUDIT_EVENT_TYPES.SIGNING_KEY_ACTIVATED,
      outcome: 'SUCCESS',
      actor: { type: 'SYSTEM', id: actorId },
      details: { kid, alg, reason },
    });
    this.logger.log(`signing key ${kid} (${alg}) is now active (${reason})`);
    return kid;
  }

  private async activeKey(manager?: EntityManager): Promise<ActiveKey> {
    if (this.active && Date.now() - this.active.loadedAt < CACHE_SECONDS * 1000) return this.active;
    const stored = await this.keys.findActive(manager);
    if (!stored) throw new SigningKeyUnavailableError('no active signing key');
    if (this.active?.kid === stored.kid) {
      this.active.loadedAt = Date.now();
      return this.active;
    }
    const header = (typ: string) =>
      Buffer.from(JSON.stringify({ alg: stored.alg, kid: stored.kid, typ })).toString('base64url');
    this.active = {
      kid: stored.kid,
      alg: stored.alg,
      privateKey: createPrivateKey(this.openPkcs8(stored)),
      headers: {
        'at+jwt': header('at+jwt'),
        JWT: header('JWT'),
        'logout+jwt': header('logout+jwt'),
        'secevent+jwt': header('secevent+jwt'),
      },
      loadedAt: Date.now(),
    };
    return this.active;
  }

  /** The PEM of a stored key, opened with whichever configured key-encryption key sealed it. */
  private openPkcs8(stored: Pick<SigningKey, 'kid' | 'kekId' | 'privateKeyEncrypted'>): string {
    const kek = [this.kek, this.kek.previous].find((candidate) => candidate?.id === stored.kekId);
    if (!kek) {
      throw new SigningKeyUnavailableError(
        `signing key ${stored.kid} was sealed with key-encryption key ${stored.kekId}, but KEY_ENCRYPTION_KEY is ${this.kek.id}`,
      );
    }
    return open(kek.key, stored.privateKeyEncrypted, `signing-key:${stored.kid}`).toString('utf8');
  }

  /**
   * Re-seals every stored key with KEY_ENCRYPTION_KEY (the step after deploying a new one alongside
   * KEY_ENCRYPTION_KEY_PREVIOUS; docs/operations.md). Returns how many keys it re-sealed.
   */
  async resealAll(actorId = 'cli'): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      await this.keys.lockForRotation(manager);
      let resealed = 0;
      for (const stored of await this.keys.sealedWithOther(manager, this.kek.id)) {
        const sealed = seal(this.kek.key, Buffer.from(this.openPkcs8(stored)), `signing-key:${stored.kid}`);
        await this.keys.reseal(manager, stored.kid, sealed, this.kek.id);
        resealed += 1;
      }
      await this.audit.record(manager, {
        type: AUDIT_EVENT_TYPES.SIGNING_KEYS_RESEALED,
        outcome: 'SUCCESS',
        actor: { type: 'SYSTEM', id: actorId },
        details: { resealed, kekId: this.kek.id },
      });
      return resealed;
    });
  }

  private async publicKey(kid: string | undefined): Promise<CryptoKey | Uint8Array> {
    if (!kid) throw new SigningKeyUnavailableError('the token names no key');
    const cached = this.publicKeys.get(kid);
    if (cached) return cached;
    const stored = await this.keys.findByKid(kid);
    if (!stored) throw new SigningKeyUnavailableError('the token was signed by an unknown key');
    const key = await importJWK({ ...stored.publicJwk, alg: stored.alg } as JWK, stored.alg);
    this.publicKeys.set(kid, key);
    return key;
  }
}
