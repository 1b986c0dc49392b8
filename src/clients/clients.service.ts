import { ACR_VALUES_SUPPORTED, normaliseAcr } from '../common/assurance';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG } from '../config/config';
import type { AppConfig, NodeEnv } from '../config/config';
import { deliveryUrlProblem } from '../outbox/delivery-url';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { randomBytes } from 'node:crypto';
import { hmacSha256, randomSecret } from '../common/crypto';
import { hashSecret, verifySecret } from '../common/passwords';
import { ClientCache } from './client-cache';
import { ClientsRepository } from './clients.repository';
import {
  GRANT_TYPES,
  GrantType,
  OAuthClient,
  OAuthClientType,
  SUBJECT_TYPES,
  SubjectType,
} from './oauth-client.entity';

export const SUPPORTED_SCOPES = ['openid', 'profile', 'email', 'phone', 'offline_access'] as const;
/**
 * Scopes of this service's own API a client may hold besides the OpenID ones (not advertised in discovery: they are
 * not for relying parties): `api_tokens:manage` lets a confidential service hold API tokens on behalf of customers.
 */
export const SERVICE_SCOPES = ['api_tokens:manage'] as const;

export interface ClientRegistration {
  clientId: string;
  name: string;
  type: OAuthClientType;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  grantTypes: GrantType[];
  scopes?: string[];
  canIntrospect?: boolean;
  /** A confidential client's secret; generated (and returned once) when omitted. */
  secret?: string;
  accessTokenTtlSeconds?: number;
  idTokenTtlSeconds?: number;
  sessionIdleTtlSeconds?: number;
  sessionAbsoluteTtlSeconds?: number;
  /** The lowest level of assurance the client accepts: an acr URI or short name (loa1, loa2, loa3; src/common/assurance.ts). */
  minAcr?: string;
  /** OpenID Connect Back-Channel Logout 1.0 §2.2: https (http only on loopback outside production). */
  backchannelLogoutUri?: string;
  backchannelLogoutSessionRequired?: boolean;
  /** OpenID Connect Core §8: 'public' (the CUPID, the default) or 'pairwise' (a pseudonym per sector). */
  subjectType?: SubjectType;
  /** The sector (a host name) a pairwise client's pseudonyms are derived for; required for pairwise. */
  sectorIdentifier?: string;
}

export class ClientRegistrationError extends Error {}

const VERIFIED_SECRET_TTL_MS = 5 * 60_000;
const VERIFIED_SECRETS_MAX = 1000;

@Injectable()
export class ClientsService {
  private readonly cacheKey = randomBytes(32);
  private readonly verified = new Map<string, { secretHash: string; until: number }>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly clients: ClientsRepository,
    private readonly audit: AuditService,
    private readonly cache: ClientCache,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Registers a client. Returns the secret in clear once (only its argon2id hash is stored). */
  async register(registration: ClientRegistration, actorId = 'cli'): Promise<{ client: OAuthClient; secret?: string }> {
    validateRegistration(registration, this.config.nodeEnv);
    const secret = registration.type === 'CONFIDENTIAL' ? (registration.secret ?? randomSecret(32)) : undefined;
    const client = await this.dataSource.transaction(async (manager) => {
      if (await this.clients.exists(registration.clientId, manager)) {
        throw new ClientRegistrationError(`client_id "${registration.clientId}" is already registered`);
      }
      const saved = await this.clients.insert(manager, {
        clientId: registration.clientId,
        name: registration.name,
        type: registration.type,
        secretHash: secret ? await hashSecret(secret) : null,
        redirectUris: registration.redirectUris ?? [],
        postLogoutRedirectUris: registration.postLogoutRedirectUris ?? [],
        grantTypes: registration.grantTypes,
        scopes: registration.scopes ?? ['openid'],
        canIntrospect: registration.canIntrospect ?? false,
        accessTokenTtlSeconds: registration.accessTokenTtlSeconds ?? null,
        idTokenTtlSeconds: registration.idTokenTtlSeconds ?? null,
        sessionIdleTtlSeconds: registration.sessionIdleTtlSeconds ?? null,
        sessionAbsoluteTtlSeconds: registration.sessionAbsoluteTtlSeconds ?? null,
        minAcr: registration.minAcr ? (normaliseAcr(registration.minAcr) ?? null) : null,
        backchannelLogoutUri: registration.backchannelLogoutUri ?? null,
        backchannelLogoutSessionRequired: registration.backchannelLogoutSessionRequired ?? false,
        subjectType: registration.subjectType ?? 'public',
        sectorIdentifier: registration.sectorIdentifier?.toLowerCase() ?? null,
      });
      await this.audit.record(manager, {
        type: AUDIT_EVENT_TYPES.CLIENT_REGISTERED,
        outcome: 'SUCCESS',
        actor: { type: 'SYSTEM', id: actorId },
        clientId: saved.clientId,
        details: {
          type: saved.type,
          grantTypes: saved.grantTypes,
          redirectUris: saved.redirectUris,
          ...(saved.backchannelLogoutUri ? { backchannelLogoutUri: saved.backchannelLogoutUri } : {}),
          ...(saved.subjectType === 'pairwise'
            ? { subjectType: 'pairwise', sectorIdentifier: saved.sectorIdentifier }
            : {}),
        },
      });
      return saved;
    });
    return { client, secret };
  }

  /**
   * The active client. Without a manager it comes from this instance's cache when it can (ClientCache:
   * changes reach it through LISTEN/NOTIFY), else from the database; the cached object is shared, never
   * change it. Inside a transaction, pass its manager: the row is then read in that transaction (a second
   * pooled connection per request can starve the pool).
   */
  async findActive(clientId: string, manager?: EntityManager): Promise<OAuthClient | null> {
    if (manager) return this.clients.findActive(clientId, manager);
    const cached = this.cache.get(clientId);
    if (cached) return cached;
    const generation = this.cache.beginLoad();
    const client = await this.clients.findActive(clientId);
    if (client) this.cache.put(client, generation);
    return client;
  }

  /**
   * The active client from this instance's cache, else read in the caller's transaction (`manager`: no second
   * pooled connection). For a read that may be as fresh as the cache (a journey step), unlike findActive
   * with a manager, which always reads the row in the transaction.
   */
  async findActiveCachedOr(clientId: string, manager: EntityManager): Promise<OAuthClient | null> {
    return this.cache.get(clientId) ?? this.clients.findActive(clientId, manager);
  }

  /**
   * SQL that holds while `client` is still active with the secret it was verified with, for a statement
   * of another repository to guard its writes with (a fragment: oauth_clients stays in ClientsRepository).
   * Its two parameters start at `firstParam`.
   */
  activeGuard(client: OAuthClient, firstParam: number): { text: string; values: unknown[] } {
    return { text: this.clients.activeCondition(firstParam), values: [client.clientId, client.secretHash] };
  }

  /** The client turned out not to be active any more (a guarded statement wrote nothing): stop serving it. */
  forget(clientId: string): void {
    this.cache.invalidate(clientId);
  }

  /**
   * Whether the client-lockout check (login_attempts) must run before this client's secret is verified:
   * false only for a cached client with no failed authentication announced within the lockout windows.
   */
  needsLockoutCheck(clientId: string): boolean {
    return this.cache.needsLockoutCheck(clientId);
  }

  /**
   * A failed authentication of the client, inside the transaction that counts it: every instance then runs
   * the lockout check for this client while its failures can still lock it.
   */
  async recordFailure(manager: EntityManager, clientId: string): Promise<void> {
    this.cache.markFailure(clientId);
    await this.clients.announce(manager, 'failure', clientId);
  }

  /**
   * The lockout check ran for this client (`lastFailureAt`: when its counter last failed, if ever): a cached
   * client is then skipped until a failure is announced, or while that last failure is recent.
   */
  noteLockoutChecked(clientId: string, lastFailureAt: Date | null): void {
    this.cache.markVetted(clientId, lastFailureAt);
  }

  /**
   * Verifies a confidential client's secret (argon2id, constant time). An unknown client costs the same
   * time as a known one, so the answer does not reveal which client ids exist.
   *
   * argon2id is deliberately slow (tens of milliseconds of CPU), and a resource server introspects on
   * every request: a secret that verified is remembered for a short while, as an HMAC under a key that
   * lives only in this process (never the secret itself), and only for the exact stored hash it matched,
   * so a rotated secret or a deactivated client stops working at once.
   */
  async verifySecret(clientId: string, secret: string): Promise<OAuthClient | null> {
    const client = await this.findActive(clientId);
    const fingerprint = hmacSha256(this.cacheKey, `${clientId}\u0000${secret}`).toString('base64url');
    const remembered = client?.secretHash ? this.verified.get(fingerprint) : undefined;
    if (remembered && remembered.secretHash === client!.secretHash && remembered.until > Date.now()) return client;
    const ok = await verifySecret(client?.secretHash, secret);
    if (!ok || !client) return null;
    if (this.verified.size >= VERIFIED_SECRETS_MAX) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(fingerprint, { secretHash: client.secretHash!, until: Date.now() + VERIFIED_SECRET_TTL_MS });
    return client;
  }

  /** Deactivates the client; every instance stops serving it from memory the moment this commits. */
  async deactivate(clientId: string, actorId = 'cli'): Promise<boolean> {
    const result = await this.dataSource.transaction(async (manager) => {
      const changed = await this.clients.deactivate(manager, clientId);
      if (changed) {
        await this.audit.record(manager, {
          type: AUDIT_EVENT_TYPES.CLIENT_DEACTIVATED,
          outcome: 'SUCCESS',
          actor: { type: 'SYSTEM', id: actorId },
          clientId,
        });
      }
      return changed;
    });
    this.cache.invalidate(clientId);
    return result;
  }

  list(): Promise<OAuthClient[]> {
    return this.clients.listAll();
  }

  /** The active clients among `clientIds` that registered a back-channel logout URI (the logout fan-out). */
  backchannelReceivers(clientIds: string[]): Promise<OAuthClient[]> {
    return this.clients.findBackchannelReceivers(clientIds);
  }

  /**
   * Sets (or, with null, removes) the client's back-channel logout URI (OIDC Back-Channel Logout 1.0 §2.2);
   * audited as client.updated. False when no active client has that id.
   */
  async setBackchannelLogout(
    clientId: string,
    uri: string | null,
    sessionRequired: boolean,
    actorId = 'cli',
  ): Promise<boolean> {
    const problem = uri === null ? null : backchannelUriProblem(uri, this.config.nodeEnv);
    if (problem) throw new ClientRegistrationError(problem);
    const changed = await this.dataSource.transaction(async (manager) => {
      if (!(await this.clients.setBackchannelLogout(manager, clientId, uri, sessionRequired))) return false;
      await this.audit.record(manager, {
        type: AUDIT_EVENT_TYPES.CLIENT_UPDATED,
        outcome: 'SUCCESS',
        actor: { type: 'SYSTEM', id: actorId },
        clientId,
        details: { backchannelLogoutUri: uri, backchannelLogoutSessionRequired: sessionRequired },
      });
      return true;
    });
    this.cache.invalidate(clientId);
    return changed;
  }
}

function backchannelUriProblem(uri: string, nodeEnv: NodeEnv): string | null {
  const problem = deliveryUrlProblem(uri, nodeEnv);
  return problem ? `back-channel logout URI "${uri}" ${problem}` : null;
}

/** OIDC Core §8.1: the sector is the host of the client's redirect URIs (or of its sector_identifier_uri). */
const SECTOR_HOST =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function validateRegistration(registration: ClientRegistration, nodeEnv: NodeEnv): void {
  const problems: string[] = [];
  if (registration.backchannelLogoutUri !== undefined) {
    const problem = backchannelUriProblem(registration.backchannelLogoutUri, nodeEnv);
    if (problem) problems.push(problem);
  }
  if (!/^[A-Za-z0-9._~-]{3,128}$/.test(registration.clientId))
    problems.push('client id: 3-128 characters of A-Z a-z 0-9 . _ ~ -');
  for (const grant of registration.grantTypes) {
    if (!(GRANT_TYPES as readonly string[]).includes(grant)) problems.push(`unknown grant type "${grant}"`);
  }
  if (registration.grantTypes.length === 0) problems.push('at least one grant type');
  if (registration.type === 'PUBLIC' && registration.grantTypes.includes('client_credentials')) {
    problems.push('a public client cannot use client_credentials');
  }
  if (registration.type === 'PUBLIC' && registration.canIntrospect) problems.push('a public client cannot introspect');
  if (
    registration.scopes?.includes('api_tokens:manage') &&
    (registration.type === 'PUBLIC' || !registration.grantTypes.includes('client_credentials'))
  )
    problems.push('api_tokens:manage is for a confidential client with client_credentials');
  if (registration.grantTypes.includes('authorization_code') && !registration.redirectUris?.length) {
    problems.push('authorization_code needs at least one redirect URI');
  }
  for (const uri of [...(registration.redirectUris ?? []), ...(registration.postLogoutRedirectUris ?? [])]) {
    if (!isAcceptableRedirectUri(uri))
      problems.push(`redirect URI "${uri}" must be an absolute https URL (http only for localhost), without fragment`);
  }
  for (const scope of registration.scopes ?? []) {
    if (!([...SUPPORTED_SCOPES, ...SERVICE_SCOPES] as readonly string[]).includes(scope))
      problems.push(`unsupported scope "${scope}"`);
  }
  if (registration.minAcr !== undefined && !normaliseAcr(registration.minAcr))
    problems.push(
      `unknown level of assurance "${registration.minAcr}" (${ACR_VALUES_SUPPORTED.join(', ')}, or loa1-loa3)`,
    );
  if (
    registration.subjectType !== undefined &&
    !(SUBJECT_TYPES as readonly string[]).includes(registration.subjectType)
  )
    problems.push(`subject type must be one of ${SUBJECT_TYPES.join(', ')}`);
  if (registration.subjectType === 'pairwise' && registration.sectorIdentifier === undefined)
    problems.push('a pairwise client needs a sector identifier');
  if (registration.sectorIdentifier !== undefined && !SECTOR_HOST.test(registration.sectorIdentifier))
    problems.push('sector identifier: a host name (letters, digits, dots and hyphens)');
  if (registration.secret !== undefined && registration.secret.length < 16)
    problems.push('a client secret has at least 16 characters');
  if (
    registration.accessTokenTtlSeconds !== undefined &&
    (registration.accessTokenTtlSeconds < 30 || registration.accessTokenTtlSeconds > 3600)
  ) {
    problems.push('access token lifetime: 30 to 3600 seconds');
  }
  if (
    registration.sessionIdleTtlSeconds !== undefined &&
    registration.sessionAbsoluteTtlSeconds !== undefined &&
    registration.sessionIdleTtlSeconds > registration.sessionAbsoluteTtlSeconds
  ) {
    problems.push('session idle lifetime cannot exceed the absolute one');
  }
  if (problems.length > 0) throw new ClientRegistrationError(problems.join('; '));
}

/** RFC 9700 §2.1: exact, absolute redirect URIs; plain http only for loopback development. */
export function isAcceptableRedirectUri(uri: string): boolean {
  try {
    const url = new URL(uri);
    if (url.hash) return false;
    if (url.protocol === 'https:') return true;
    return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  } catch {
    return false;
  }
}
