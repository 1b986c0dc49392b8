import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const TRUSTED_DEVICE_STATUSES = ['ACTIVE', 'REVOKED'] as const;
export type TrustedDeviceStatus = (typeof TRUSTED_DEVICE_STATUSES)[number];

/** A device bound to a customer by a P-256 key; a revoked device can never vouch again. */
@Entity({ name: 'trusted_devices' })
export class TrustedDevice {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text') cupid: string;
  @Column('jsonb', { name: 'public_key_jwk' }) publicKeyJwk: Record<string, unknown>;
  /** RFC 7638 JWK thumbprint; unique, so one key can belong to one customer only. */
  @Column('text', { name: 'jwk_thumbprint' }) jwkThumbprint: string;
  @Column('text') name: string;
  @Column('text', { nullable: true }) platform: string | null;
  @Column('text', { name: 'push_address', nullable: true }) pushAddress: string | null;
  @Column({ type: 'enum', enum: TRUSTED_DEVICE_STATUSES, enumName: 'trusted_device_status', default: 'ACTIVE' })
  status: TrustedDeviceStatus;
  /**
   * The journey that bound the device. The foreign key (ON DELETE SET NULL) is the migration's; no TypeORM
   * relation, so the devices module does not import the journeys module (module walls).
   */
  @Column('uuid', { name: 'bound_context_id', nullable: true }) boundContextId: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'last_used_at', nullable: true }) lastUsedAt: Date | null;
  /** The last journey from this device that passed a full second factor (or the binding after one). */
  @Column('timestamptz', { name: 'last_mfa_at', nullable: true }) lastMfaAt: Date | null;
  /** Bound in a journey that passed a second factor: only then does the device count as a factor (issue 12). */
  @Column('boolean', { name: 'bound_with_mfa', default: false }) boundWithMfa: boolean;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  @Column('text', { name: 'revoked_by', nullable: true }) revokedBy: string | null;
  @Column('text', { name: 'revoke_reason', nullable: true }) revokeReason: string | null;
}
