import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { AuthContext } from '../journeys/auth-context.entity';

export const DRS_RECOMMENDATIONS = ['ALLOW', 'CHALLENGE', 'DENY'] as const;
export type DrsRecommendation = (typeof DRS_RECOMMENDATIONS)[number];

/** One device-risk assessment; the same outcome is also written to audit. */
@Entity({ name: 'drs_evaluations' })
export class DrsEvaluation {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'context_id', nullable: true }) contextId: string | null;
  @ManyToOne(() => AuthContext, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'context_id' })
  context?: AuthContext;
  @Column('text', { nullable: true }) cupid: string | null;
  @Column({ type: 'enum', enum: DRS_RECOMMENDATIONS, enumName: 'drs_recommendation' }) recommendation: DrsRecommendation;
  @Column('integer', { nullable: true }) score: number | null;
  @Column('text', { array: true, default: () => "'{}'" }) reasons: string[];
  @Column('text') provider: string;
  @Column('jsonb', { name: 'raw_response', nullable: true }) rawResponse: Record<string, unknown> | null;
  @Column('integer', { name: 'latency_ms', default: 0 }) latencyMs: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
