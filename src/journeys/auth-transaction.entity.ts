import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { AuthContext } from './auth-context.entity';

export const AUTH_STEP_KINDS = ['PASSWORD', 'SMS_OTP', 'PUSH', 'ESIGN', 'DEVICE_BIND', 'DEVICE_PROOF'] as const;
export type AuthStepKind = (typeof AUTH_STEP_KINDS)[number];
export const AUTH_TRANSACTION_STATUSES = ['PENDING', 'CONSUMED', 'FAILED', 'EXPIRED'] as const;
export type AuthTransactionStatus = (typeof AUTH_TRANSACTION_STATUSES)[number];

/** One step of a journey, carried by a single-use transaction token kept only as its SHA-256. */
@Entity({ name: 'auth_transactions' })
export class AuthTransaction {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'context_id' }) contextId: string;
  @ManyToOne(() => AuthContext, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'context_id' })
  context?: AuthContext;
  @Column({ type: 'enum', enum: AUTH_STEP_KINDS, enumName: 'auth_step_kind' }) step: AuthStepKind;
  @Column('bytea', { name: 'token_hash' }) tokenHash: Buffer;
  @Column({ type: 'enum', enum: AUTH_TRANSACTION_STATUSES, enumName: 'auth_transaction_status', default: 'PENDING' })
  status: AuthTransactionStatus;
  @Column('bytea', { name: 'otp_hash', nullable: true }) otpHash: Buffer | null;
  @Column('integer', { default: 0 }) attempts: number;
  @Column('integer', { name: 'max_attempts', default: 5 }) maxAttempts: number;
  @Column('jsonb', { default: () => "'{}'" }) challenge: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @Column('timestamptz', { name: 'consumed_at', nullable: true }) consumedAt: Date | null;
  /** What the step established once passed (amr, CUPID, policy decisions); null until then. */
  @Column('jsonb', { nullable: true }) result: Record<string, unknown> | null;
}
