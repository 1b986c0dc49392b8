import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { AuditActorType, AuditOutcome } from './audit-events';

/**
 * One security event. The table is range-partitioned by month on created_at (hand-written DDL in
 * migrations/), which is why created_at is part of the primary key. Written only by AuditService.
 */
@Entity({ name: 'audit_logs' })
export class AuditLog {
  @PrimaryGeneratedColumn('uuid') id: string;
  @PrimaryColumn('timestamptz', { name: 'created_at', default: () => 'clock_timestamp()' }) createdAt: Date;
  @Column('text', { name: 'event_type' }) eventType: string;
  @Column('text', { nullable: true }) cupid: string | null;
  @Column({
    type: 'enum',
    enum: ['CUSTOMER', 'AGENT', 'CLIENT', 'SYSTEM'],
    enumName: 'audit_actor_type',
    name: 'actor_type',
  })
  actorType: AuditActorType;
  @Column('text', { name: 'actor_id', nullable: true }) actorId: string | null;
  @Column('uuid', { name: 'session_id', nullable: true }) sessionId: string | null;
  @Column('uuid', { name: 'context_id', nullable: true }) contextId: string | null;
  @Column('text', { name: 'client_id', nullable: true }) clientId: string | null;
  @Column('inet', { name: 'ip_address', nullable: true }) ipAddress: string | null;
  @Column('text', { name: 'user_agent', nullable: true }) userAgent: string | null;
  @Column({ type: 'enum', enum: ['SUCCESS', 'FAILURE'], enumName: 'audit_outcome' }) outcome: AuditOutcome;
  @Column('jsonb', { default: () => "'{}'" }) details: Record<string, unknown>;
}
