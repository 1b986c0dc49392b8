import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const OAUTH_CLIENT_TYPES = ['PUBLIC', 'CONFIDENTIAL'] as const;
export type OAuthClientType = (typeof OAUTH_CLIENT_TYPES)[number];
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

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
  @Column('boolean', { default: true }) active: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;

  get isPublic(): boolean {
    return this.type === 'PUBLIC';
  }

  allowsGrant(grant: string): boolean {
    return (this.grantTypes as string[]).includes(grant);
  }
}
