import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { UsedJtisRepository } from '../tokens/used-jtis.repository';
import { inBatches, Job, JobContext } from './job';

/**
 * Every few minutes: the used JWT ids (client assertions, DPoP proofs) whose JWTs would now be refused as
 * expired are deleted, in bounded batches, through the table's owning repository. Advisory-locked by the
 * runner like every job, so many instances run it one at a time.
 */
@Injectable()
export class PurgeUsedJtisJob extends Job {
  readonly name = 'purge-used-jtis' as const;
  readonly destructive = true;

  constructor(
    private readonly dataSource: DataSource,
    private readonly usedJtis: UsedJtisRepository,
  ) {
    super();
  }

  run(context: JobContext): Promise<number> {
    return inBatches(context, () =>
      this.usedJtis.deleteExpiredBatch(this.dataSource.manager, context.batchSize, context.now),
    );
  }
}
