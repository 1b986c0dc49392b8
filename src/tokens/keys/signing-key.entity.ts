import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export type SigningKeyStatus = 'ACTIVE' | 'RETIRED';

/** A JWT signing key. The private part is sealed with the key-encryption key; only `kid` and the public JWK are published. */
@Entity({ name: 'signing_keys' })
export class SigningKey {
  @PrimaryColumn('text') kid: string;
  @Column('text') alg: 'ES256' | 'RS256';
  @Column('jsonb', { name: 'public_jwk' }) publicJwk: Record<string, unknown>;
  @Column('bytea', { name: 'private_key_encrypted' }) privateKeyEncrypted: Buffer;
  @Column('text', { name: 'kek_id' }) kekId: string;
  @Column({ type: 'enum', enum: ['ACTIVE', 'RETIRED'], enumName: 'signing_key_status', default: 'ACTIVE' })
  status: SigningKeyStatus;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'retired_at', nullable: true }) retiredAt: Date | null;
  @Column('timestamptz', { name: 'publish_until', nullable: true }) publishUntil: Date | null;
}
