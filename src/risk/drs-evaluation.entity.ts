import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const DRS_RECOMMENDATIONS = ['ALLOW', 'CHALLENGE', 'DENY'] as const;
export type DrsRecommendation = (typeof DRS_RECOMMENDATIONS)[number];

/** One device-risk assessment; the same outcome is also written to audit. */
@Entity({ name: 'drs_evaluations' })
export class DrsEvaluation {
  @PrimaryGeneratedColumn('uuid') id: string;
  /**
   * The journey assessed. The foreign key (ON DELETE CASCADE) is the migration's; no TypeORM relation, so
   * the risk adapter does not import the journeys module (module walls, docs/architecture.md).
   */
  @Column('uuid', { name: 'context_id', nullable: true }) contextId: string | null;
  @Column('text', { nullable: true }) cupid: string | null;
  @Column({ type: 'enum', enum: DRS_RECOMMENDATIONS, enumName: 'drs_recommendation' })
  recommendation: DrsRecommendation;
  @Column('integer', { nullable: true }) score: number | null;
  @Column('text', { array: true, default: () => "'{}'" }) reasons: string[];
  @Column('text') provider: string;
  @Column('jsonb', { name: 'raw_response', nullable: true }) rawResponse: Record<string, unknown> | null;
  @Column('integer', { name: 'latency_ms', default: 0 }) latencyMs: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
