import type { JobName } from '../config/config';

export interface JobContext {
  /** The job's "now" (the injected clock), passed to every query. */
  now: Date;
  batchSize: number;
  /** Called after each batch with the rows touched so far (the CLI prints it on long runs). */
  progress(rowsSoFar: number): void;
}

/** One scheduled job, one file each. `run` returns the rows it touched. */
export abstract class Job {
  abstract readonly name: JobName;
  /** Deletes or drops data: each run is an audit event. */
  abstract readonly destructive: boolean;
  abstract run(context: JobContext): Promise<number>;
}

export const JOBS = Symbol('JOBS');

/** Repeats one bounded batch until a batch comes back short: no statement holds locks for long. */
export async function inBatches(context: JobContext, batch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = await batch();
    total += rows;
    if (rows > 0) context.progress(total);
    if (rows < context.batchSize) return total;
  }
}
