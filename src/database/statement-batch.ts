import { asDatabaseUnavailable } from './database-unavailable';

/**
 * Group commit for one hot statement (issue 14): calls that arrive while the database is busy with earlier
 * ones are sent together as ONE statement (`many`: a multi-member CTE or a `= ANY($1)` read), so the round
 * trip, the driver's per-statement work and PostgreSQL's per-statement overhead (parse of the bind, executor
 * start, commit) are paid once per batch instead of once per call. Each caller still gets exactly its own
 * result.
 *
 * - Adaptive, no timer: a call goes out on the next turn of the event loop (setImmediate) when fewer than
 *   `maxInFlight` batches are in flight, so a lone request waits one immediate at most; under load the calls
 *   that queue while the batches in flight run leave together when one returns.
 * - A batch of one runs `one` (the very statement used without batching).
 * - Failure: when the batch fails because the database is unavailable (DatabaseUnavailableError's
 *   classification) every caller gets that error; any other failure (one member's constraint, a deadlock)
 *   must not fail its neighbours, so each member is retried alone with `one` and gets its own outcome. A
 *   statement is its own transaction, so the failed batch wrote nothing.
 * - `keys`: members whose keys overlap (the same token, the same session) never share a batch: a statement
 *   that changes one row twice does only one of the changes; the later call waits for the next batch.
 */
export interface StatementBatchOptions<I> {
  /** The most calls in one statement (its text, prepared once per connection, exists once per size). */
  maxBatch: number;
  /** Batches running at once; more calls wait and leave together. */
  maxInFlight: number;
  keys?: (input: I) => readonly string[];
  /**
   * Whether a batch may hold any number of calls. By default a batch holds a power of two of them, for
   * statements whose text grows with the batch (one CTE member per call), so that each exists in few sizes;
   * a statement whose text is the same for any count (a `= ANY($1)` read) takes every queued call at once
   * instead of leaving the remainder for a batch of its own.
   */
  anySize?: boolean;
}

interface Pending<I, O> {
  input: I;
  resolve(output: O): void;
  reject(error: unknown): void;
}

export class StatementBatch<I, O> {
  private readonly queue: Array<Pending<I, O>> = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly one: (input: I) => Promise<O>,
    private readonly many: (inputs: I[]) => Promise<O[]>,
    private readonly options: StatementBatchOptions<I>,
  ) {}

  run(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inFlight >= this.options.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.queue.length > 0 && this.inFlight < this.options.maxInFlight) {
      const batch = this.take();
      this.inFlight += 1;
      void this.send(batch).finally(() => {
        this.inFlight -= 1;
        // Whatever queued meanwhile leaves now, without waiting another turn.
        if (!this.scheduled) this.flush();
      });
    }
  }

  /**
   * The next batch: queued calls in arrival order, skipping (for a later batch) those whose keys overlap; a
   * power of two of them unless `anySize`, so that a statement exists in few sizes: PostgreSQL plans a prepared
   * statement afresh on its first executions on each connection, and a batch's statement is large.
   */
  private take(): Array<Pending<I, O>> {
    const available = Math.min(this.queue.length, this.options.maxBatch);
    const size = this.options.anySize ? available : sizeFor(available);
    const keysOf = this.options.keys;
    if (!keysOf) return this.queue.splice(0, size);
    const taken: Array<Pending<I, O>> = [];
    const seen = new Set<string>();
    for (let i = 0; i < this.queue.length && taken.length < size;) {
      const keys = keysOf(this.queue[i].input);
      if (keys.some((key) => seen.has(key))) {
        i += 1;
        continue;
      }
      for (const key of keys) seen.add(key);
      taken.push(...this.queue.splice(i, 1));
    }
    return taken;
  }

  private async send(batch: Array<Pending<I, O>>): Promise<void> {
    if (batch.length === 1) return settle(batch[0], this.one(batch[0].input));
    let outputs: O[];
    try {
      outputs = await this.many(batch.map((pending) => pending.input));
      if (outputs.length !== batch.length) throw new Error(`a batch of ${batch.length} answered ${outputs.length}`);
    } catch (error) {
      if (asDatabaseUnavailable(error)) {
        for (const pending of batch) pending.reject(error);
        return;
      }
      await Promise.all(batch.map((pending) => settle(pending, this.one(pending.input))));
      return;
    }
    batch.forEach((pending, index) => pending.resolve(outputs[index]));
  }
}

/** The largest power of two not above `n` (n >= 1). */
function sizeFor(n: number): number {
  return 2 ** Math.floor(Math.log2(n));
}

async function settle<I, O>(pending: Pending<I, O>, result: Promise<O>): Promise<void> {
  try {
    pending.resolve(await result);
  } catch (error) {
    pending.reject(error);
  }
}
