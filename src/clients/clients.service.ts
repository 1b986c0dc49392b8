import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { randomBytes } from 'node:crypto';
import { Clock } from '../common/clock';
import { hmacSha256, randomSecret } from '../common/crypto';
import { hashSecret, verifySecret } from '../common/passwords';
import { ClientCache } from './client-cache';
import { ClientPage, ClientsRepository } from './clients.repository';
import {
  backchannelUriProblem,
  checkedSettings,
  CLIENT_SETTING_NAMES,
  ClientRegistrationError,
  ClientSettings,
  ClientUpdate,
  holdsSecret,
  NULLABLE_SETTINGS,
  settingsOf,
} from './client-settings';
import { GrantType, OAuthClient, OAuthClientType, SubjectType, TokenEndpointAuthMethod } from './oauth-client.entity';

export { ClientRegistrationError, isAcceptableRedirectUri, SERVICE_SCOPES, SUPPORTED_SCOPES } from './client-settings';
export type { ClientSettings, ClientUpdate } from './client-settings';

export interface ClientRegistration {
  clientId: string;
  name: string;
  type: OAuthClientType;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  grantTypes: GrantType[];
  scopes?: string[];
  canIntrospect?: boolean;
  /** A confidential client's secret; generated (and returned once) when omitted. None with private_key_jwt. */
  secret?: string;
  accessTokenTtlSeconds?: number;
  idTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
  sessionIdleTtlSeconds?: number;
  sessionAbsoluteTtlSeconds?: number;
  /** The lowest level of assurance the client accepts: an acr URI or short name (loa1, loa2, loa3; src/common/assurance.ts). */
  minAcr?: string;
  /** OpenID Connect Back-Channel Logout 1.0 §2.2: https (http only on loopback outside production). */
  backchannelLogoutUri?: string;
  backchannelLogoutSessionRequired?: boolean;
  firstParty?: boolean;
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  jwks?: { keys: Record<string, unknown>[] };
  jwksUri?: string;
  subjectType?: SubjectType;
  /** A host or https URI; stored as the host (OpenID Connect Core §8.1). */
  sectorIdentifier?: string;
  dpopBoundAccessTokens?: boolean;
  allowedClaims?: string[];
}

/** Who changes a client: an agent of the admin API, or the CLI / a seed (SYSTEM). */
export interface ClientAdminActor {
  type: 'AGENT' | 'SYSTEM';
  id: string;
}

/** The client id is taken (by an active or a deactivated client: ids are never reused). */
export class ClientIdTakenError extends ClientRegistrationError {}

/** No client has that id. */
export class ClientNotFoundError extends Error {}

/** A client's settings changed; `secret` is the one a switch to a secret method issued (returned once). */
export interface ClientUpdated {
  client: OAuthClient;
  secret?: string;
}

/** What a private_key_jwt client that asks for a secret is told: it gets one by switching to a secret method. */
const KEYS_CLIENT_HAS_NO_SECRET =
  'a private_key_jwt client authenticates with its keys and has no secret; to get one, change its tokenEndpointAuthMethod to client_secret_basic or client_secret_post (the answer shows the new secret once)';

const VERIFIED_SECRET_TTL_MS = 5 * 60_000;
const VERIFIED_SECRETS_MAX = 1000;
const SYSTEM_CLI: ClientAdminActor = { type: 'SYSTEM', id: 'cli' };

/** Who acts on a client: an agent or a system actor, or a system actor's id alone (`'cli'`, `'ops-test'`). */
export function clientAdminActor(by: ClientAdminActor | string): ClientAdminActor {
  return typeof by === 'string' ? { type: 'SYSTEM', id: by } : by;
}

@Injectable()
export class ClientsService {
  private readonly cacheKey = randomBytes(32);
  private readonly verified = new Map<string, { secretHash: string; until: number }>();
  /**
   * The client objects verifySecret returned for a client that authenticated with its previous secret (during
   * a rotation's overlap): per-request copies, so activeGuard can guard writes with the hash that verified.
   */
  private readonly byPreviousSecret = new WeakSet<OAuthClient>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly clients: ClientsRepository,
    private readonly audit: AuditService,
    private readonly cache: ClientCache,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Registers a client. Returns the secret in clear once (only its argon2id hash is stored). */
  async register(
    registration: ClientRegistration,
    by: ClientAdminActor | string = SYSTEM_CLI,
  ): Promise<{ client: OAuthClient; secret?: string }> {
    const actor = clientAdminActor(by);
    const problems: string[] = [];
    if (!/^[A-Za-z0-9._~-]{3,128}$/.test(registration.clientId))
      problems.push('client id: 3-128 characters of A-Z a-z 0-9 . _ ~ -');
    if (registration.type !== 'PUBLIC' && registration.type !== 'CONFIDENTIAL')
      problems.push('type: PUBLIC or CONFIDENTIAL');
    if (registration.secret !== undefined && registration.secret.length < 16)
      problems.push('a client secret has at least 16 characters');
    if (registration.secret !== undefined && registration.type === 'PUBLIC')
      problems.push('a public client has no secret');
    else if (registration.secret !== undefined && registration.tokenEndpointAuthMethod === 'private_key_jwt')
      problems.push(KEYS_CLIENT_HAS_NO_SECRET);
    let settings: ClientSettings | undefined;
    try {
      settings = checkedSettings(registration.type, registrationSettings(registration), this.config.nodeEnv);
    } catch (error) {
      if (!(error instanceof ClientRegistrationError)) throw error;
      problems.push(error.message);
    }
    if (problems.length > 0 || !settings) throw new ClientRegistrationError(problems.join('; '));
    const secret = holdsSecret(registration.type, settings.tokenEndpointAuthMethod)
      ? (registration.secret ?? randomSecret(32))
      : undefined;
    const secretHash = secret ? await hashSecret(secret) : null;
    const client = await this.dataSource
      .transaction(async (manager) => {
        if (await this.clients.exists(registration.clientId, manager)) {
          throw new ClientIdTakenError(`client_id "${registration.clientId}" is already registered`);
        }
        const saved = await this.clients.insert(manager, {
          ...settings,
          clientId: registration.clientId,
          type: registration.type,
          secretHash,
        });
        await this.audit.record(manager, {
          type: AUDIT_EVENT_TYPES.CLIENT_REGISTERED,
          outcome: 'SUCCESS',
          actor,
          clientId: saved.clientId,
          details: {
            type: saved.type,
            grantTypes: saved.grantTypes,
            redirectUris: saved.redirectUris,
            scopes: saved.scopes,
            firstParty: saved.firstParty,
            subjectType: saved.subjectType,
            ...(saved.backchannelLogoutUri ? { backchannelLogoutUri: saved.backchannelLogoutUri } : {}),
          },
        });
        return saved;
      })
      .catch((error: unknown) => {
        // Two registrations of one id at once: the primary key refuses the second, which is a taken id, not a 500.
        if ((error as { driverError?: { code?: string } }).driverError?.code === '23505')
          throw new ClientIdTakenError(`client_id "${registration.clientId}" is already registered`);
        throw error;
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

  /** A client, active or not (administration), read from the database. */
  find(clientId: string): Promise<OAuthClient | null> {
    return this.clients.find(clientId);
  }

  /**
   * SQL that holds while `client` is still active with the secret it was verified with, for a statement
   * of another repository to guard its writes with (a fragment: oauth_clients stays in ClientsRepository).
   * A client that authenticated with its previous secret (a rotation's overlap) is guarded with that hash,
   * which holds only until the overlap ends. Its parameters start at `firstParam`.
   */
  activeGuard(client: OAuthClient, firstParam: number): { text: string; values: unknown[] } {
    const hash = this.byPreviousSecret.has(client) ? client.previousSecretHash : client.secretHash;
    return { text: this.clients.activeCondition(firstParam), values: [client.clientId, hash, this.clock.now()] };
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
   *
   * During a rotation's overlap the previous secret verifies too, until previous_secret_expires_at (read with
   * the client: no extra statement); a wrong secret then costs a second argon2id verification.
   */
  async verifySecret(clientId: string, secret: string): Promise<OAuthClient | null> {
    const client = await this.findActive(clientId);
    const fingerprint = hmacSha256(this.cacheKey, `${clientId}\u0000${secret}`).toString('base64url');
    const previous = client && this.previousSecretValid(client) ? client.previousSecretHash : null;
    const remembered = client?.secretHash ? this.verified.get(fingerprint) : undefined;
    if (remembered && remembered.until > Date.now()) {
      if (remembered.secretHash === client!.secretHash) return client;
      if (previous && remembered.secretHash === previous) return this.viaPreviousSecret(client!);
    }
    if (await verifySecret(client?.secretHash, secret)) return client && this.remember(fingerprint, client, false);
    if (previous && (await verifySecret(previous, secret))) return this.remember(fingerprint, client!, true);
    return null;
  }

  private previousSecretValid(client: OAuthClient): boolean {
    return (
      client.previousSecretHash !== null &&
      client.previousSecretExpiresAt !== null &&
      client.previousSecretExpiresAt.getTime() > this.clock.now().getTime()
    );
  }

  private remember(fingerprint: string, client: OAuthClient, previous: boolean): OAuthClient {
    if (this.verified.size >= VERIFIED_SECRETS_MAX) this.verified.delete(this.verified.keys().next().value!);
    const secretHash = previous ? client.previousSecretHash! : client.secretHash!;
    this.verified.set(fingerprint, { secretHash, until: Date.now() + VERIFIED_SECRET_TTL_MS });
    return previous ? this.viaPreviousSecret(client) : client;
  }

  /** A copy of the (shared, cached) client marked as authenticated by its previous secret. */
  private viaPreviousSecret(client: OAuthClient): OAuthClient {
    const copy = Object.assign(Object.create(Object.getPrototypeOf(client) as object) as OAuthClient, client);
    this.byPreviousSecret.add(copy);
    return copy;
  }

  /**
   * Changes some settings (checked as a whole with the ones it keeps). Audited as client.updated with the
   * names of the fields that changed and their values (never a key's material: jwks is named by its kids).
   * Every instance reads the client again the moment this commits (the oauth_clients trigger notifies).
   *
   * A confidential client switched to private_key_jwt loses its secret and any previous one still in a rotation's
   * overlap (its keys authenticate it now); switched from private_key_jwt to a secret method it gets a new secret,
   * returned once, as a rotation's (it had none to roll over from). client.updated then says `secretChange`:
   * issued or removed.
   */
  async update(clientId: string, update: ClientUpdate, by: ClientAdminActor = SYSTEM_CLI): Promise<ClientUpdated> {
    const unremovable = CLIENT_SETTING_NAMES.filter(
      (name) => update[name] === null && !NULLABLE_SETTINGS.includes(name),
    );
    if (unremovable.length > 0) throw new ClientRegistrationError(`cannot be null: ${unremovable.join(', ')}`);
    // Hashed before the row is locked (argon2id is tens of milliseconds), for a change that may need a secret.
    const mayNeedSecret =
      update.tokenEndpointAuthMethod !== undefined && update.tokenEndpointAuthMethod !== 'private_key_jwt';
    const fresh = mayNeedSecret ? randomSecret(32) : undefined;
    const freshHash = fresh ? await hashSecret(fresh) : null;
    let issued: string | undefined;
    const updated = await this.dataSource.transaction(async (manager) => {
      const current = await this.clients.findForUpdate(manager, clientId);
      if (!current) throw new ClientNotFoundError(`no client has the id "${clientId}"`);
      const before = settingsOf(current);
      const merged = { ...before };
      for (const name of CLIENT_SETTING_NAMES) {
        if (update[name] !== undefined) (merged as Record<string, unknown>)[name] = update[name];
      }
      const after = checkedSettings(current.type, merged, this.config.nodeEnv);
      const changed = CLIENT_SETTING_NAMES.filter(
        (name) => JSON.stringify(before[name]) !== JSON.stringify(after[name]),
      );
      if (changed.length === 0) return current;
      const changes: Partial<OAuthClient> = {};
      for (const name of changed) (changes as Record<string, unknown>)[name] = after[name];
      const needsSecret = holdsSecret(current.type, after.tokenEndpointAuthMethod);
      let secretChange: 'issued' | 'removed' | undefined;
      if (needsSecret && current.secretHash === null) {
        if (!fresh) throw new Error('a switch to a secret method without a secret prepared');
        Object.assign(changes, { secretHash: freshHash, previousSecretHash: null, previousSecretExpiresAt: null });
        [secretChange, issued] = ['issued', fresh];
      } else if (!needsSecret && current.secretHash !== null) {
        Object.assign(changes, { secretHash: null, previousSecretHash: null, previousSecretExpiresAt: null });
        secretChange = 'removed';
      }
      await this.clients.update(manager, clientId, changes);
      await this.audit.record(manager, {
        type: AUDIT_EVENT_TYPES.CLIENT_UPDATED,
        outcome: 'SUCCESS',
        actor: by,
        clientId,
        details: { fields: changed, ...auditValues(after, changed), ...(secretChange ? { secretChange } : {}) },
      });
      return (await this.clients.findForUpdate(manager, clientId))!;
    });
    this.cache.invalidate(clientId);
    return { client: updated, secret: issued };
  }

  /**
   * A new secret for a confidential client, returned once. The previous one keeps working until
   * `overlapSeconds` (CLIENT_SECRET_ROTATION_OVERLAP_SECONDS unless given) from now, so the client can roll
   * out the new one; 0 revokes it at once. Only the latest previous secret is kept: rotating again during an
   * overlap ends the older one. Audited as client.secret_rotated (never the secret or a hash).
   */
  async rotateSecret(
    clientId: string,
    overlapSeconds: number | undefined,
    by: ClientAdminActor = SYSTEM_CLI,
  ): Promise<{ client: OAuthClient; secret: string }> {
    const overlap = overlapSeconds ?? this.config.oidc.clientSecretRotationOverlapSeconds;
    if (!Number.isInteger(overlap) || overlap < 0 || overlap > 30 * 86400)
      throw new ClientRegistrationError('overlap: 0 to 2592000 seconds');
    const secret = randomSecret(32);
    const secretHash = await hashSecret(secret);
    const client = await this.dataSource.transaction(async (manager) => {
      const current = await this.clients.findForUpdate(manager, clientId);
      if (!current) throw new ClientNotFoundError(`no client has the id "${clientId}"`);
      if (current.type !== 'CONFIDENTIAL') throw new ClientRegistrationError('a public client has no secret to rotate');
      if (current.secretHash === null) throw new ClientRegistrationError(KEYS_CLIENT_HAS_NO_SECRET);
      const previousExpiresAt = overlap > 0 ? this.clock.secondsFromNow(overlap) : null;
      await this.clients.update(manager, clientId, {
        secretHash,
        previousSecretHash: previousExpiresAt ? current.secretHash : null,
        previousSecretExpiresAt: previousExpiresAt,
      });
      await this.audit.record(manager, {
        type: AUDIT_EVENT_TYPES.CLIENT_SECRET_ROTATED,
        outcome: 'SUCCESS',
        actor: by,
        clientId,
        details: { overlapSeconds: overlap, previousSecretExpiresAt: previousExpiresAt?.toISOString() ?? null },
      });
      return (await this.clients.findForUpdate(manager, clientId))!;
    });
    this.cache.invalidate(clientId);
    return { client, secret };
  }

  /** Deactivates the client; every instance stops serving it from memory the moment this commits. */
  async deactivate(clientId: string, by: ClientAdminActor | string = SYSTEM_CLI): Promise<boolean> {
    const result = await this.dataSource.transaction((manager) => this.deactivateIn(manager, clientId, by));
    this.cache.invalidate(clientId);
    return result;
  }

  /**
   * Deactivates the client in the caller's transaction, for a cascade that must end more in the same commit
   * (ClientDeactivationService: its unredeemed codes); audited as client.deactivated with `details`. The caller
   * calls forget(clientId) once it committed. False when the client was inactive already.
   */
  async deactivateIn(
    manager: EntityManager,
    clientId: string,
    by: ClientAdminActor | string = SYSTEM_CLI,
    details?: Record<string, unknown>,
  ): Promise<boolean> {
    const actor = clientAdminActor(by);
    const changed = await this.clients.deactivate(manager, clientId, this.clock.now());
    if (changed) {
      await this.audit.record(manager, {
        type: AUDIT_EVENT_TYPES.CLIENT_DEACTIVATED,
        outcome: 'SUCCESS',
        actor,
        clientId,
        ...(details ? { details } : {}),
      });
    }
    return changed;
  }

  /**
   * Serves a deactivated client again (deactivated_at cleared), in the caller's transaction, under the client
   * row's lock: `cascade` runs first (ClientDeactivationService.reactivate: the codes minted while it was inactive)
   * and what it returns is audited with client.reactivated. False, with nothing run, when it is active already or
   * unknown. The caller calls forget(clientId) once it committed.
   */
  async reactivateIn(
    manager: EntityManager,
    clientId: string,
    by: ClientAdminActor = SYSTEM_CLI,
    cascade?: (manager: EntityManager) => Promise<Record<string, unknown>>,
  ): Promise<boolean> {
    const current = await this.clients.findForUpdate(manager, clientId);
    if (!current || current.active) return false;
    const details = cascade ? await cascade(manager) : undefined;
    await this.clients.reactivate(manager, clientId);
    await this.audit.record(manager, {
      type: AUDIT_EVENT_TYPES.CLIENT_REACTIVATED,
      outcome: 'SUCCESS',
      actor: by,
      clientId,
      ...(details ? { details } : {}),
    });
    return true;
  }

  list(): Promise<OAuthClient[]> {
    return this.clients.listAll();
  }

  /** One page of clients by id (after `after`), active ones, deactivated ones, or both (`active` undefined). */
  page(limit: number, after?: string, active?: boolean): Promise<ClientPage> {
    return this.clients.page(limit, after, active);
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
        details: {
          fields: ['backchannelLogoutUri', 'backchannelLogoutSessionRequired'],
          backchannelLogoutUri: uri,
          backchannelLogoutSessionRequired: sessionRequired,
        },
      });
      return true;
    });
    this.cache.invalidate(clientId);
    return changed;
  }
}

/** The settings a registration asks for, with the defaults of a new client. */
function registrationSettings(registration: ClientRegistration): ClientSettings {
  return {
    name: registration.name,
    redirectUris: registration.redirectUris ?? [],
    postLogoutRedirectUris: registration.postLogoutRedirectUris ?? [],
    grantTypes: registration.grantTypes ?? [],
    scopes: registration.scopes ?? ['openid'],
    canIntrospect: registration.canIntrospect ?? false,
    accessTokenTtlSeconds: registration.accessTokenTtlSeconds ?? null,
    idTokenTtlSeconds: registration.idTokenTtlSeconds ?? null,
    refreshTokenTtlSeconds: registration.refreshTokenTtlSeconds ?? null,
    sessionIdleTtlSeconds: registration.sessionIdleTtlSeconds ?? null,
    sessionAbsoluteTtlSeconds: registration.sessionAbsoluteTtlSeconds ?? null,
    minAcr: registration.minAcr ?? null,
    backchannelLogoutUri: registration.backchannelLogoutUri ?? null,
    backchannelLogoutSessionRequired: registration.backchannelLogoutSessionRequired ?? false,
    firstParty: registration.firstParty ?? true,
    tokenEndpointAuthMethod: registration.tokenEndpointAuthMethod ?? null,
    jwks: registration.jwks ?? null,
    jwksUri: registration.jwksUri ?? null,
    subjectType: registration.subjectType ?? 'public',
    sectorIdentifier: registration.sectorIdentifier ?? null,
    dpopBoundAccessTokens: registration.dpopBoundAccessTokens ?? false,
    allowedClaims: registration.allowedClaims ?? null,
  };
}

/**
 * The new values of the changed fields, for client.updated: settings hold no secret, but a key set is named by
 * its key ids only (the material is long and an auditor needs to know which keys, not their bytes).
 */
function auditValues(settings: ClientSettings, changed: ReadonlyArray<keyof ClientSettings>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const name of changed) {
    if (name === 'jwks') values.jwksKids = settings.jwks?.keys.map((key) => key.kid) ?? null;
    else values[name] = settings[name];
  }
  return values;
}
