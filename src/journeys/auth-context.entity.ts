import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const AUTH_CONTEXT_STATUSES = ['PENDING', 'COMPLETED', 'FAILED', 'EXPIRED'] as const;
export type AuthContextStatus = (typeof AUTH_CONTEXT_STATUSES)[number];
export const AUTH_CHANNELS = ['WEB', 'MOBILE', 'API'] as const;
export type AuthChannel = (typeof AUTH_CHANNELS)[number];

/** What the OIDC request asked of the journey (issue 15), fixed at its start like its other inputs. */
export interface JourneyOptions {
  /** The level of assurance the journey must reach: acr_values, an essential acr claim, the client's minimum. */
  acr?: string;
  /** OIDC login_hint: the username the page prefills (a hint, never trusted as identification). */
  loginHint?: string;
  /** /oauth2/authorize's idp_hint (issue 21): the upstream provider the journey starts with (FEDERATED first). */
  idpHint?: string;
  /** Started by /oauth2/authorize: completing it gives the browser the provider session cookie. */
  browser?: boolean;
  /**
   * Step-up: the live session this journey raises (its customer is known, the password is skipped). With
   * `reauthenticate`, the session's sign-in is too old for what is asked: one second factor is asked again even
   * when the level is already reached, and only its pass renews auth_time (issue 17 item 5).
   */
  stepUp?: { sessionId: string; acr: string | null; amr: string[]; reauthenticate?: boolean };
  /** Started for a passwordless sign-in: the first step is a discoverable passkey (PASSKEY_LOGIN), not the password. */
  passwordless?: boolean;
  /**
   * What the journey is for: absent, a sign-in; 'password_reset', a forgotten password (issue 17, item 6):
   * username, a registered factor, a new password, and no session at the end.
   */
  purpose?: 'password_reset';
  /** The transaction a step-up approves (dynamic linking): shown on the push prompt, its hash bound into the result. */
  transaction?: { amount: string; currency: string; payee: string; hash: string };
  /** prompt=consent (OIDC Core §3.1.2.1): the CONSENT step is asked even when consent is on record or implied. */
  consentPrompt?: boolean;
  /** RFC 9449 §10 (dpop_jkt): the DPoP key's JWK thumbprint the journey's code is bound to. */
  dpopJkt?: string;
}

/** One login journey. Its inputs never change after creation; only status (and CUPID, once known) move. */
@Entity({ name: 'auth_contexts' })
export class AuthContext {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text', { name: 'client_id' }) clientId: string;
  @Column({ type: 'enum', enum: AUTH_CHANNELS, enumName: 'auth_channel', default: 'WEB' }) channel: AuthChannel;
  @Column('text', { nullable: true }) cupid: string | null;
  @Column({ type: 'enum', enum: AUTH_CONTEXT_STATUSES, enumName: 'auth_context_status', default: 'PENDING' })
  status: AuthContextStatus;
  @Column('inet', { name: 'ip_address', nullable: true }) ipAddress: string | null;
  @Column('text', { name: 'user_agent', nullable: true }) userAgent: string | null;
  @Column('text', { name: 'device_id', nullable: true }) deviceId: string | null;
  @Column('jsonb', { name: 'device_data', default: () => "'{}'" }) deviceData: Record<string, unknown>;
  @Column('text', { name: 'requested_scopes', array: true, default: () => "'{}'" }) requestedScopes: string[];
  @Column('text', { name: 'redirect_uri', nullable: true }) redirectUri: string | null;
  @Column('text', { nullable: true }) state: string | null;
  @Column('text', { name: 'code_challenge', nullable: true }) codeChallenge: string | null;
  @Column('text', { name: 'code_challenge_method', nullable: true }) codeChallengeMethod: 'S256' | null;
  @Column('text', { nullable: true }) nonce: string | null;
  @Column('text', { name: 'failure_reason', nullable: true }) failureReason: string | null;
  /** The frontend asked to bind this device at the end of the journey. */
  @Column('boolean', { name: 'bind_device', default: false }) bindDevice: boolean;
  /** The device says it is a bound device (its key's RFC 7638 thumbprint); it proves it with the DEVICE_PROOF step. */
  @Column('text', { name: 'device_key_thumbprint', nullable: true }) deviceKeyThumbprint: string | null;
  @Column('jsonb', { default: () => "'{}'" }) options: JourneyOptions;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @Column('timestamptz', { name: 'completed_at', nullable: true }) completedAt: Date | null;
}
