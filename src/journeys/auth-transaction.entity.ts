import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { AuthContext } from './auth-context.entity';

export const AUTH_STEP_KINDS = [
  'PASSWORD',
  'SMS_OTP',
  'PUSH',
  'ESIGN',
  'DEVICE_BIND',
  'DEVICE_PROOF',
  'TOTP',
  'PASSKEY',
  'PASSKEY_LOGIN',
  'RECOVERY_CODE',
  'PASSKEY_ENROL',
  'EMAIL_OTP',
  'RESET_USERNAME',
  'SET_PASSWORD',
  'FEDERATED',
  'CONSENT',
] as const;
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
  /** Who holds the step right now (a request between its phases), and until when the claim holds. */
  @Column('uuid', { name: 'claim_id', nullable: true }) claimId: string | null;
  @Column('timestamptz', { name: 'claimed_until', nullable: true }) claimedUntil: Date | null;
  /** What a send step is about to send, sealed under the transaction token (reused by a retry with it). */
  @Column('bytea', { name: 'pending_send', nullable: true }) pendingSend: Buffer | null;
  /** The answer given when the token was spent, sealed under the token and the request (a retry gets it again). */
  @Column('bytea', { name: 'response_sealed', nullable: true }) responseSealed: Buffer | null;
  @Column('timestamptz', { name: 'responded_at', nullable: true }) respondedAt: Date | null;
}
