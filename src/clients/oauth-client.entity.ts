import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const OAUTH_CLIENT_TYPES = ['PUBLIC', 'CONFIDENTIAL'] as const;
export type OAuthClientType = (typeof OAUTH_CLIENT_TYPES)[number];
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];
export const TOKEN_ENDPOINT_AUTH_METHODS = [
  'none',
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];
export const SUBJECT_TYPES = ['public', 'pairwise'] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

/** A registered relying party. Deactivated (active = false), never deleted, so its history stays readable. */
@Entity({ name: 'oauth_clients' })
export class OAuthClient {
  @PrimaryColumn('text', { name: 'client_id' }) clientId: string;
  @Column('text') name: string;
  @Column({ type: 'enum', enum: OAUTH_CLIENT_TYPES, enumName: 'oauth_client_type' }) type: OAuthClientType;
  /** argon2id hash of the client secret; null for public clients. */
  @Column('text', { name: 'secret_hash', nullable: true }) secretHash: string | null;
  /** Matched exactly (no wildcards, no prefix match): RFC 9700 §4.1.3. */
  @Column('text', { name: 'redirect_uris', array: true, default: () => "'{}'" }) redirectUris: string[];
  @Column('text', { name: 'post_logout_redirect_uris', array: true, default: () => "'{}'" })
  postLogoutRedirectUris: string[];
  @Column('text', { name: 'grant_types', array: true }) grantTypes: GrantType[];
  @Column('text', { array: true, default: () => "'{openid}'" }) scopes: string[];
  @Column('boolean', { name: 'can_introspect', default: false }) canIntrospect: boolean;
  @Column('integer', { name: 'access_token_ttl_seconds', nullable: true }) accessTokenTtlSeconds: number | null;
  @Column('integer', { name: 'id_token_ttl_seconds', nullable: true }) idTokenTtlSeconds: number | null;
  @Column('integer', { name: 'session_idle_ttl_seconds', nullable: true }) sessionIdleTtlSeconds: number | null;
  @Column('integer', { name: 'session_absolute_ttl_seconds', nullable: true }) sessionAbsoluteTtlSeconds: number | null;
  /** The lowest level of assurance (acr, src/common/assurance.ts) this client accepts; null: any. */
  @Column('text', { name: 'min_acr', nullable: true }) minAcr: string | null;
  /** OpenID Connect Back-Channel Logout 1.0 §2.2: where logout tokens are POSTed when a session of this client ends. */
  @Column('text', { name: 'backchannel_logout_uri', nullable: true }) backchannelLogoutUri: string | null;
  /** §2.2: the client needs `sid` in logout tokens (the service always sends it). */
  @Column('boolean', { name: 'backchannel_logout_session_required', default: false })
  backchannelLogoutSessionRequired: boolean;
  /** A third-party client's authorizations need the customer's consent (issue 16); first-party ones do not. */
  @Column('boolean', { name: 'first_party', default: true }) firstParty: boolean;
  /** RFC 7591 §2; null keeps the type's rule (public: none; confidential: a secret by basic or post). */
  @Column('text', { name: 'token_endpoint_auth_method', nullable: true })
  tokenEndpointAuthMethod: TokenEndpointAuthMethod | null;
  /** The client's public keys (RFC 7591 §2 `jwks`), or where to fetch them (`jwksUri`); never both. */
  @Column('jsonb', { nullable: true }) jwks: { keys: Record<string, unknown>[] } | null;
  @Column('text', { name: 'jwks_uri', nullable: true }) jwksUri: string | null;
  /** OpenID Connect Core §8: `public` (the CUPID) or `pairwise` (a pseudonym per sector). */
  @Column('text', { name: 'subject_type', default: 'public' }) subjectType: SubjectType;
  /** The sector a pairwise client's pseudonyms are derived for (clients of one sector share them). */
  @Column('text', { name: 'sector_identifier', nullable: true }) sectorIdentifier: string | null;
  /** RFC 9449 §5.2: the client must send DPoP proofs; its tokens are always sender-constrained. */
  @Column('boolean', { name: 'dpop_bound_access_tokens', default: false }) dpopBoundAccessTokens: boolean;
  /** The claims the client may receive; null: every claim of its scopes. */
  @Column('text', { name: 'allowed_claims', array: true, nullable: true }) allowedClaims: string[] | null;
  @Column('integer', { name: 'refresh_token_ttl_seconds', nullable: true }) refreshTokenTtlSeconds: number | null;
  /** After a secret rotation, the old secret's hash stays valid until previousSecretExpiresAt. */
  @Column('text', { name: 'previous_secret_hash', nullable: true }) previousSecretHash: string | null;
  @Column('timestamptz', { name: 'previous_secret_expires_at', nullable: true }) previousSecretExpiresAt: Date | null;
  @Column('boolean', { default: true }) active: boolean;
  @Column('timestamptz', { name: 'deactivated_at', nullable: true }) deactivatedAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;

  get isPublic(): boolean {
    return this.type === 'PUBLIC';
  }

  allowsGrant(grant: string): boolean {
    return (this.grantTypes as string[]).includes(grant);
  }
}
