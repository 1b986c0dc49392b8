import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { JobName } from '../config/config';
import { rowsOf } from '../database/sql';

/** One row of job_runs, as `npm run cli -- jobs:status` prints it. */
export interface JobRunRow {
  job_name: string;
  last_slot: Date | null;
  last_started_at: Date | null;
  last_finished_at: Date | null;
  last_success_at: Date | null;
  last_status: string | null;
  /** bigint: node-postgres returns it as text. */
  last_rows: string;
  last_error: string | null;
  instance: string | null;
}

/**
 * Owns job_runs (one row per job: the last slot run, by which instance, how it ended) and the jobs' advisory
 * locks. JobRunner is its writer; the CLI's jobs:status reads it.
 */
@Injectable()
export class JobRunsRepository {
  /**
   * A session-level advisory lock, so `manager` must be bound to one connection (a QueryRunner's) that is
   * kept until `unlock`: another instance holding it means the job is running elsewhere.
   */
  async tryLock(manager: EntityManager, key: string): Promise<boolean> {
    const [row] = await rowsOf<{ locked: boolean }>(manager, 'SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [
      key,
    ]);
    return row.locked;
  }

  async unlock(manager: EntityManager, key: string): Promise<void> {
    await manager.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
  }

  /**
   * Records that `slot` is being run: one conditional upsert that succeeds only when no instance has run this
   * or a later slot (unless `manual`), so two instances whose clocks tick in the same minute run it once.
   */
  async claimSlot(
    manager: EntityManager,
    name: JobName,
    slot: Date,
    now: Date,
    instance: string,
    manual: boolean,
  ): Promise<boolean> {
    const rows = await rowsOf<{ job_name: string }>(
      manager,
      `INSERT INTO job_runs (job_name, last_slot, last_started_at, last_status, instance) VALUES ($1, $2, $3, 'RUNNING', $4)
       ON CONFLICT (job_name) DO UPDATE SET last_slot = GREATEST(job_runs.last_slot, $2), last_started_at = $3, last_status = 'RUNNING', instance = $4
         WHERE $5 OR job_runs.last_slot IS NULL OR job_runs.last_slot < $2
       RETURNING job_name`,
      [name, slot, now, instance, manual],
    );
    return rows.length === 1;
  }

  async recordSuccess(manager: EntityManager, name: JobName, at: Date, rows: number): Promise<void> {
    await manager.query(
      `UPDATE job_runs SET last_finished_at = $2, last_success_at = $2, last_status = 'SUCCESS', last_rows = $3, last_error = NULL WHERE job_name = $1`,
      [name, at, rows],
    );
  }

  /** `error` is a message already cut to length by the caller; it must never carry a secret. */
  async recordFailure(manager: EntityManager, name: JobName, at: Date, error: string): Promise<void> {
    await manager.query(
      `UPDATE job_runs SET last_finished_at = $2, last_status = 'FAILURE', last_error = $3 WHERE job_name = $1`,
      [name, at, error],
    );
  }

  list(manager: EntityManager): Promise<JobRunRow[]> {
    return rowsOf<JobRunRow>(manager, 'SELECT * FROM job_runs ORDER BY job_name');
  }
}
