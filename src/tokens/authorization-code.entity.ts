import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Session } from '../sessions/session.entity';

/** A one-time authorization code (stored as its SHA-256), bound to client, redirect URI, PKCE challenge, session and, when the request named one, a DPoP key. */
@Entity({ name: 'authorization_codes' })
export class AuthorizationCode {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('bytea', { name: 'code_hash' }) codeHash: Buffer;
  @Column('text', { name: 'client_id' }) clientId: string;
  @Column('uuid', { name: 'session_id' }) sessionId: string;
  @ManyToOne(() => Session, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id' })
  session?: Session;
  @Column('text') cupid: string;
  @Column('text', { name: 'redirect_uri' }) redirectUri: string;
  @Column('text', { name: 'code_challenge' }) codeChallenge: string;
  @Column('text', { nullable: true }) nonce: string | null;
  @Column('text') scope: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @Column('timestamptz', { name: 'redeemed_at', nullable: true }) redeemedAt: Date | null;
  /** RFC 9449 §10: the DPoP key (JWK SHA-256 thumbprint) the request named; the code is redeemed only with its proof. */
  @Column('text', { name: 'dpop_jkt', nullable: true }) dpopJkt: string | null;
}
