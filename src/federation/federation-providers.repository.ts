import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '../database/sql';

export type FederationProviderKind = 'oidc' | 'oauth2';

/** An upstream identity provider (federation_providers, [ServiceConfigs] in the customer's documents). */
export interface FederationProvider {
  id: string;
  displayName: string;
  kind: FederationProviderKind;
  /** oidc: discovery starts here (and the ID token's iss must equal it). */
  issuer: string | null;
  /** oauth2: required; oidc: optional overrides of what discovery says. */
  authorizationEndpoint: string | null;
  tokenEndpoint: string | null;
  userinfoEndpoint: string | null;
  clientId: string;
  /** AES-256-GCM under the key-encryption key, `federation:client-secret:<id>` as associated data; null: public client. */
  clientSecretSealed: Buffer | null;
  scopes: string[];
  redirectUri: string;
  acr: string;
  satisfiesMfa: boolean;
  claims: string[];
  settings: Record<string, unknown>;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** The fields a create or an update may set (the sealed secret included; null clears it). */
export type FederationProviderFields = Omit<FederationProvider, 'id' | 'createdAt' | 'updatedAt'>;

const COLUMNS = `id, display_name AS "displayName", kind, issuer, authorization_endpoint AS "authorizationEndpoint",
  token_endpoint AS "tokenEndpoint", userinfo_endpoint AS "userinfoEndpoint", client_id AS "clientId",
  client_secret_sealed AS "clientSecretSealed", scopes, redirect_uri AS "redirectUri", acr,
  satisfies_mfa AS "satisfiesMfa", claims, settings, active, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** Owns federation_providers (migration 1796095500000). */
@Injectable()
export class FederationProvidersRepository {
  /** Inserts a provider; false when the id is taken. */
  async insert(manager: EntityManager, id: string, fields: FederationProviderFields, at: Date): Promise<boolean> {
    const rows = await rowsOf<{ id: string }>(
      manager,
      `INSERT INTO federation_providers (id, display_name, kind, issuer, authorization_endpoint, token_endpoint,
         userinfo_endpoint, client_id, client_secret_sealed, scopes, redirect_uri, acr, satisfies_mfa, claims, settings,
         active, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [id, ...fieldValues(fields), at],
    );
    return rows.length > 0;
  }

  /** Replaces every field of a provider; false when there is none with this id. */
  async update(manager: EntityManager, id: string, fields: FederationProviderFields, at: Date): Promise<boolean> {
    const rows = await rowsOf<{ id: string }>(
      manager,
      `UPDATE federation_providers SET display_name = $2, kind = $3, issuer = $4, authorization_endpoint = $5,
         token_endpoint = $6, userinfo_endpoint = $7, client_id = $8, client_secret_sealed = $9, scopes = $10,
         redirect_uri = $11, acr = $12, satisfies_mfa = $13, claims = $14, settings = $15, active = $16, updated_at = $17
       WHERE id = $1 RETURNING id`,
      [id, ...fieldValues(fields), at],
    );
    return rows.length > 0;
  }

  /** One provider, active or not, its sealed secret included (callers open it through FederationProvidersService). */
  async findById(manager: EntityManager, id: string, forUpdate = false): Promise<FederationProvider | null> {
    const [row] = await rowsOf<FederationProvider>(
      manager,
      `SELECT ${COLUMNS} FROM federation_providers WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return row ?? null;
  }

  /** Every provider (or only the active ones), by id. */
  async list(manager: EntityManager, activeOnly = false): Promise<FederationProvider[]> {
    return rowsOf<FederationProvider>(
      manager,
      `SELECT ${COLUMNS} FROM federation_providers WHERE ($1::boolean = false OR active) ORDER BY id`,
      [activeOnly],
    );
  }
}

function fieldValues(fields: FederationProviderFields): unknown[] {
  return [
    fields.displayName,
    fields.kind,
    fields.issuer,
    fields.authorizationEndpoint,
    fields.tokenEndpoint,
    fields.userinfoEndpoint,
    fields.clientId,
    fields.clientSecretSealed,
    fields.scopes,
    fields.redirectUri,
    fields.acr,
    fields.satisfiesMfa,
    fields.claims,
    JSON.stringify(fields.settings),
    fields.active,
  ];
}
