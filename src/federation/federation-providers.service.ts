import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditActor } from '../audit/audit-actor';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { assuranceRank, normaliseAcr } from '../common/assurance';
import { Clock } from '../common/clock';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { FactorKeys } from '../keys/factor-keys';
import {
  FederationProvider,
  FederationProviderFields,
  FederationProviderKind,
  FederationProvidersRepository,
} from './federation-providers.repository';

/** What an operator gives to configure a provider (CLI, admin API). */
export interface FederationProviderInput {
  displayName: string;
  kind: FederationProviderKind;
  issuer?: string | null;
  authorizationEndpoint?: string | null;
  tokenEndpoint?: string | null;
  userinfoEndpoint?: string | null;
  clientId: string;
  /** Write-only. On update: undefined keeps the stored secret, null removes it (a public PKCE-only client). */
  clientSecret?: string | null;
  scopes?: string[];
  /** Our callback; by default <OIDC_ISSUER>/federation/callback (one per deployment). */
  redirectUri?: string;
  /** A URI or a short name (loa1, loa2, loa3). */
  acr: string;
  satisfiesMfa?: boolean;
  claims?: string[];
  /** Provider-specific settings, e.g. subjectClaim (oauth2: the userinfo member naming the subject, default "sub"). */
  settings?: Record<string, unknown>;
  active?: boolean;
}

/** A provider as the admin API and CLI show it: never the secret, only whether there is one. */
export type FederationProviderView = Omit<FederationProvider, 'clientSecretSealed'> & { hasClientSecret: boolean };

export class InvalidFederationProviderError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

export class FederationProviderExistsError extends Error {
  constructor(id: string) {
    super(`a federation provider with id "${id}" exists already`);
  }
}

const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const DEFAULT_SCOPES: Record<FederationProviderKind, string[]> = { oidc: ['openid'], oauth2: [] };
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Upstream identity providers as configuration (issue 21, item 1): created, updated, listed and deactivated by
 * the CLI and the admin API, each change audited with the field names it changed (never the secret). The client
 * secret is sealed at rest under the key-encryption key (FactorKeys, the provider id bound as associated data, so
 * a sealed secret copied onto another provider does not open) and is write-only.
 */
@Injectable()
export class FederationProvidersService {
  /** The active providers as this instance last read them (the login journey's offer; FEDERATION_CACHE_TTL_SECONDS). */
  private activeCache?: { at: number; providers: Promise<FederationProvider[]> };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly providers: FederationProvidersRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly factorKeys: FactorKeys,
  ) {}

  async create(id: string, input: FederationProviderInput, actor: AuditActor): Promise<FederationProviderView> {
    if (!ID_PATTERN.test(id)) throw new InvalidFederationProviderError(['id must be a slug: a-z, 0-9, - and _']);
    const fields = this.fieldsOf(id, input, null);
    const at = this.clock.now();
    return this.changed(
      this.dataSource.transaction(async (tx) => {
        if (!(await this.providers.insert(tx, id, fields, at))) throw new FederationProviderExistsError(id);
        await this.audit.record(tx, {
          type: AUDIT_EVENT_TYPES.FEDERATION_PROVIDER_CREATED,
          outcome: 'SUCCESS',
          actor,
          details: {
            providerId: id,
            kind: fields.kind,
            issuer: fields.issuer,
            acr: fields.acr,
            satisfiesMfa: fields.satisfiesMfa,
            confidentialClient: fields.clientSecretSealed !== null,
          },
        });
        return toView((await this.providers.findById(tx, id))!);
      }),
    );
  }

  /** Applies `patch` over the stored provider; null when there is none. */
  async update(
    id: string,
    patch: Partial<FederationProviderInput>,
    actor: AuditActor,
  ): Promise<FederationProviderView | null> {
    return this.changed(
      this.dataSource.transaction(async (tx) => {
        const current = await this.providers.findById(tx, id, true);
        if (!current) return null;
        const merged: FederationProviderInput = { ...inputOf(current), ...stripUndefined(patch) };
        const fields = this.fieldsOf(id, merged, current.clientSecretSealed);
        const changed = changedFields(current, fields);
        await this.providers.update(tx, id, fields, this.clock.now());
        await this.audit.record(tx, {
          type: AUDIT_EVENT_TYPES.FEDERATION_PROVIDER_UPDATED,
          outcome: 'SUCCESS',
          actor,
          details: { providerId: id, changed, active: fields.active },
        });
        return toView((await this.providers.findById(tx, id))!);
      }),
    );
  }

  /** Deactivates a provider (no new sign-in through it; links stay); false when there is no active one. */
  async deactivate(id: string, actor: AuditActor): Promise<boolean> {
    return this.changed(
      this.dataSource.transaction(async (tx) => {
        const current = await this.providers.findById(tx, id, true);
        if (!current?.active) return false;
        await this.providers.update(tx, id, { ...current, active: false }, this.clock.now());
        await this.audit.record(tx, {
          type: AUDIT_EVENT_TYPES.FEDERATION_PROVIDER_DEACTIVATED,
          outcome: 'SUCCESS',
          actor,
          details: { providerId: id },
        });
        return true;
      }),
    );
  }

  /** A provider, active or not, its sealed secret included (open it with `clientSecret`). */
  async find(id: string, manager: EntityManager = this.dataSource.manager): Promise<FederationProvider | null> {
    return this.providers.findById(manager, id);
  }

  async list(activeOnly = false, manager: EntityManager = this.dataSource.manager): Promise<FederationProvider[]> {
    return this.providers.list(manager, activeOnly);
  }

  /**
   * The active providers, cached per instance: a login journey's start reads no table for them (the hot path's
   * budget). A change made here applies at once; one made on another instance within the cache's lifetime.
   */
  async activeProviders(): Promise<FederationProvider[]> {
    const now = this.clock.now().getTime();
    const cached = this.activeCache;
    if (cached && now - cached.at < this.config.federationLogin.cacheTtlSeconds * 1000) return cached.providers;
    const providers = this.list(true);
    this.activeCache = { at: now, providers };
    providers.catch(() => (this.activeCache = undefined));
    return providers;
  }

  async view(id: string): Promise<FederationProviderView | null> {
    const provider = await this.find(id);
    return provider ? toView(provider) : null;
  }

  async listViews(): Promise<FederationProviderView[]> {
    return (await this.list()).map(toView);
  }

  /** The active-providers cache is dropped once a change settled (committed or not). */
  private changed<T>(work: Promise<T>): Promise<T> {
    return work.finally(() => (this.activeCache = undefined));
  }

  /** The provider's client secret in clear, for the token request only; null for a public client. */
  clientSecret(provider: Pick<FederationProvider, 'id' | 'clientSecretSealed'>): string | null {
    if (!provider.clientSecretSealed) return null;
    return this.factorKeys.open(provider.clientSecretSealed, secretContext(provider.id)).toString('utf8');
  }

  /** The default redirect URI: one callback per deployment. */
  defaultRedirectUri(): string {
    return `${this.config.oidc.issuer}/federation/callback`;
  }

  private fieldsOf(id: string, input: FederationProviderInput, storedSecret: Buffer | null): FederationProviderFields {
    const problems: string[] = [];
    const kind = input.kind;
    if (kind !== 'oidc' && kind !== 'oauth2') problems.push('kind must be oidc or oauth2');
    const displayName = (input.displayName ?? '').trim();
    if (!displayName || displayName.length > 200) problems.push('displayName must be 1 to 200 characters');
    if (!input.clientId || input.clientId.length > 512) problems.push('clientId must be 1 to 512 characters');
    const acr = normaliseAcr(input.acr ?? '');
    if (!acr) problems.push('acr must be one of loa1, loa2, loa3 (or their URIs)');
    // A loa1 sign-in is one factor: standing in for the second would lift the session to loa2 on nothing.
    if (input.satisfiesMfa === true && acr && assuranceRank(acr) < 2)
      problems.push('satisfiesMfa needs acr loa2 or loa3 (a loa1 sign-in is no second factor)');
    const url = (name: string, value: string | null | undefined): string | null => {
      if (value === undefined || value === null || value === '') return null;
      if (!isAcceptableUrl(value)) problems.push(`${name} must be an https URL (http only on loopback)`);
      return value;
    };
    const issuer = url('issuer', input.issuer);
    const authorizationEndpoint = url('authorizationEndpoint', input.authorizationEndpoint);
    const tokenEndpoint = url('tokenEndpoint', input.tokenEndpoint);
    const userinfoEndpoint = url('userinfoEndpoint', input.userinfoEndpoint);
    const redirectUri = url('redirectUri', input.redirectUri) ?? this.defaultRedirectUri();
    if (kind === 'oidc' && !issuer) problems.push('an oidc provider needs its issuer (discovery starts there)');
    if (kind === 'oauth2' && !(authorizationEndpoint && tokenEndpoint && userinfoEndpoint))
      problems.push('an oauth2 provider needs authorizationEndpoint, tokenEndpoint and userinfoEndpoint');
    const scopes = input.scopes ?? DEFAULT_SCOPES[kind] ?? [];
    if (scopes.some((scope) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope)))
      problems.push('scopes must be scope tokens');
    if (kind === 'oidc' && !scopes.includes('openid')) problems.push('an oidc provider needs the openid scope');
    const claims = input.claims ?? [];
    if (claims.some((claim) => typeof claim !== 'string' || !claim || claim.length > 100))
      problems.push('claims must be claim names');
    const settings = input.settings ?? {};
    if (typeof settings !== 'object' || Array.isArray(settings)) problems.push('settings must be an object');
    if (settings.subjectClaim !== undefined && (typeof settings.subjectClaim !== 'string' || !settings.subjectClaim))
      problems.push('settings.subjectClaim must be a claim name');
    if (input.clientSecret !== undefined && input.clientSecret !== null && !input.clientSecret)
      problems.push('clientSecret must not be empty (null removes it)');
    if (problems.length) throw new InvalidFederationProviderError(problems);
    const clientSecretSealed =
      input.clientSecret === undefined
        ? storedSecret
        : input.clientSecret === null
          ? null
          : this.factorKeys.seal(Buffer.from(input.clientSecret, 'utf8'), secretContext(id));
    return {
      displayName,
      kind,
      issuer,
      authorizationEndpoint,
      tokenEndpoint,
      userinfoEndpoint,
      clientId: input.clientId,
      clientSecretSealed,
      scopes,
      redirectUri,
      acr: acr!,
      satisfiesMfa: input.satisfiesMfa ?? false,
      claims,
      settings,
      active: input.active ?? true,
    };
  }
}

function secretContext(id: string): string {
  return `federation:client-secret:${id}`;
}

function isAcceptableUrl(value: string): boolean {
  try {
    const url = new URL(value);
    if (url.hash || url.username || url.password) return false;
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
  } catch {
    return false;
  }
}

export function toView(provider: FederationProvider): FederationProviderView {
  const { clientSecretSealed, ...rest } = provider;
  return { ...rest, hasClientSecret: clientSecretSealed !== null };
}

function inputOf(provider: FederationProvider): FederationProviderInput {
  const { clientSecretSealed: _sealed, id: _id, createdAt: _c, updatedAt: _u, ...rest } = provider;
  return rest;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The names of the fields an update changes ("clientSecret" when the sealed secret differs; never its value). */
function changedFields(current: FederationProvider, next: FederationProviderFields): string[] {
  const changed: string[] = [];
  for (const key of Object.keys(next) as Array<keyof FederationProviderFields>) {
    if (key === 'clientSecretSealed') {
      const before = current.clientSecretSealed;
      const after = next.clientSecretSealed;
      if ((before === null) !== (after === null) || (before && after && !before.equals(after)))
        changed.push('clientSecret');
    } else if (JSON.stringify(current[key]) !== JSON.stringify(next[key])) changed.push(key);
  }
  return changed;
}
