import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { TrustedDevice } from '../devices/trusted-device.entity';

export const SESSION_STATUSES = ['ACTIVE', 'REVOKED', 'EXPIRED'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** One signed-in device of a customer, with idle and absolute expiry. */
@Entity({ name: 'sessions' })
export class Session {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text') cupid: string;
  @Column('text', { name: 'client_id' }) clientId: string;
  /**
   * The journey that opened the session. The foreign key (ON DELETE SET NULL) is the migration's; no TypeORM
   * relation, so sessions do not import journeys, which depend on sessions (no cycle between modules).
   */
  @Column('uuid', { name: 'context_id', nullable: true }) contextId: string | null;
  @Column('uuid', { name: 'trusted_device_id', nullable: true }) trustedDeviceId: string | null;
  @ManyToOne(() => TrustedDevice, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'trusted_device_id' })
  trustedDevice?: TrustedDevice;
  /** Authentication methods references (RFC 8176), e.g. ['pwd', 'otp', 'sms']. */
  @Column('text', { array: true }) amr: string[];
  @Column('text', { nullable: true }) acr: string | null;
  @Column('inet', { name: 'ip_address', nullable: true }) ipAddress: string | null;
  @Column('text', { name: 'user_agent', nullable: true }) userAgent: string | null;
  @Column({ type: 'enum', enum: SESSION_STATUSES, enumName: 'session_status', default: 'ACTIVE' })
  status: SessionStatus;
  @Column('timestamptz', { name: 'auth_time', default: () => 'now()' }) authTime: Date;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'last_used_at', default: () => 'now()' }) lastUsedAt: Date;
  @Column('timestamptz', { name: 'idle_expires_at' }) idleExpiresAt: Date;
  @Column('timestamptz', { name: 'absolute_expires_at' }) absoluteExpiresAt: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  @Column('text', { name: 'revoked_by', nullable: true }) revokedBy: string | null;
  @Column('text', { name: 'revoke_reason', nullable: true }) revokeReason: string | null;
  /** SHA-256 of the provider session cookie (SSO, issue 15); the cookie itself is never stored. */
  @Column('bytea', { name: 'cookie_hash', nullable: true }) cookieHash: Buffer | null;
  /** Every client that received an authorization code under this session, the first one included. */
  @Column('text', { name: 'client_ids', array: true, default: () => "'{}'" }) clientIds: string[];
  /** When the directory last confirmed the customer may sign in (at sign-in, then on refresh). */
  @Column('timestamptz', { name: 'directory_checked_at', nullable: true }) directoryCheckedAt: Date | null;
}
