import { Injectable } from '@nestjs/common';
import { FederationTokensService } from '../federation/federation-tokens.service';
import { Job, JobContext } from './job';

/**
 * Every minute: upstream access tokens of federation links that expire within FEDERATION_REFRESH_AHEAD_SECONDS
 * are refreshed at their provider, JOB_BATCH_SIZE links per query, each link once per run (issue 21, item 3).
 * Each refresh claims its link first, so the job and an on-demand refresh on another instance never both call
 * the provider; a refused grant marks the link needs_reconsent, any other failure refresh_failed (retried next run).
 */
@Injectable()
export class RefreshFederationTokensJob extends Job {
  readonly name = 'refresh-federation-tokens' as const;
  readonly destructive = false;

  constructor(private readonly tokens: FederationTokensService) {
    super();
  }

  run(context: JobContext): Promise<number> {
    return this.tokens.refreshDue(context.batchSize, (done) => context.progress(done));
  }
}
