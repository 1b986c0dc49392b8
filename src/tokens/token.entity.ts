import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Session } from '../sessions/session.entity';

export const TOKEN_TYPES = ['ACCESS', 'REFRESH', 'ID'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];
export const TOKEN_STATUSES = ['ACTIVE', 'ROTATED', 'REVOKED', 'EXPIRED'] as const;
export type TokenStatus = (typeof TOKEN_STATUSES)[number];

/** One issued token, found by the SHA-256 of its value; refresh tokens chain into families. */
@Entity({ name: 'tokens' })
export class Token {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'enum', enum: TOKEN_TYPES, enumName: 'token_type' }) type: TokenType;
  @Column('bytea', { name: 'value_hash' }) valueHash: Buffer;
  @Column('text', { nullable: true }) jti: string | null;
  @Column('text', { name: 'client_id' }) clientId: string;
  @Column('text', { nullable: true }) cupid: string | null;
  /** A pairwise client's sub (the pseudonym, src/pseudonyms); null: the CUPID is the sub. */
  @Column('text', { nullable: true }) subject: string | null;
  @Column('uuid', { name: 'session_id', nullable: true }) sessionId: string | null;
  @ManyToOne(() => Session, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'session_id' })
  session?: Session;
  @Column('uuid', { name: 'family_id', nullable: true }) familyId: string | null;
  @Column('uuid', { name: 'parent_id', nullable: true }) parentId: string | null;
  @ManyToOne(() => Token, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'parent_id' })
  parent?: Token;
  @Column('text', { default: '' }) scope: string;
  @Column({ type: 'enum', enum: TOKEN_STATUSES, enumName: 'token_status', default: 'ACTIVE' }) status: TokenStatus;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @Column('timestamptz', { name: 'rotated_at', nullable: true }) rotatedAt: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  @Column('text', { name: 'revoke_reason', nullable: true }) revokeReason: string | null;
  /** Refresh tokens only: the response their rotation produced, sealed with a key derived from this token's value. */
  /** RFC 9449 §6: the JWK thumbprint (RFC 7638) a DPoP-bound access or refresh token is bound to (`cnf.jkt`). */
  @Column('text', { name: 'dpop_jkt', nullable: true }) dpopJkt: string | null;
  @Column('bytea', { name: 'rotation_response', nullable: true, select: false }) rotationResponse: Buffer | null;
}
