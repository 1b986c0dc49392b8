import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { rowsOf } from '../database/sql';

export interface AuditTrailQuery {
  cupid: string;
  from?: Date;
  to?: Date;
  types?: string[];
  limit: number;
  /** The last event seen: created_at at full precision, and id. */
  before?: { createdAt: string; id: string };
}

export interface AuditTrailRow {
  id: string;
  event_type: string;
  outcome: string;
  actor_type: string;
  actor_id: string | null;
  session_id: string | null;
  context_id: string | null;
  client_id: string | null;
  ip_address: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
  created_at: Date;
  cursor: string;
}

/** Reads a customer's audit trail, newest first, by idx_audit_cupid_time (partitions outside the range are pruned). */
@Injectable()
export class AuditTrailRepository {
  constructor(private readonly dataSource: DataSource) {}

  page(query: AuditTrailQuery): Promise<AuditTrailRow[]> {
    return rowsOf<AuditTrailRow>(
      this.dataSource.manager,
      `SELECT id, event_type, outcome, actor_type, actor_id, session_id, context_id, client_id, host(ip_address) AS ip_address,
              user_agent, details, created_at, created_at::text AS cursor
         FROM audit_logs
        WHERE cupid = $1
          AND ($2::timestamptz IS NULL OR created_at >= $2)
          AND ($3::timestamptz IS NULL OR created_at < $3)
          AND ($4::text[] IS NULL OR event_type = ANY($4))
          AND ($6::timestamptz IS NULL OR (created_at, id) < ($6::timestamptz, $7::uuid))
        ORDER BY created_at DESC, id DESC
        LIMIT $5`,
      [
        query.cupid,
        query.from ?? null,
        query.to ?? null,
        query.types?.length ? query.types : null,
        query.limit,
        query.before?.createdAt ?? null,
        query.before?.id ?? null,
      ],
    );
  }
}
