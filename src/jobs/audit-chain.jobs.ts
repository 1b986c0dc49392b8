import { Injectable } from '@nestjs/common';
import { AuditCheckpoints } from '../audit-chain/audit-checkpoints';
import { AuditSequencer } from '../audit-chain/audit-sequencer';
import { Job } from './job';

/**
 * The audit sequencer's backstop and manual run (`jobs:run audit-chain`): every instance also ticks it every
 * AUDIT_CHAIN_INTERVAL_MS, so this finds little to do unless that loop is off.
 */
@Injectable()
export class AuditChainJob extends Job {
  readonly name = 'audit-chain' as const;
  readonly destructive = false;

  constructor(private readonly sequencer: AuditSequencer) {
    super();
  }

  run(): Promise<number> {
    return this.sequencer.chainAll();
  }
}

/** Signs the chain head (a checkpoint) when it moved since the last one. */
@Injectable()
export class AuditCheckpointJob extends Job {
  readonly name = 'audit-checkpoint' as const;
  readonly destructive = false;

  constructor(private readonly checkpoints: AuditCheckpoints) {
    super();
  }

  async run(): Promise<number> {
    return (await this.checkpoints.checkpoint()) === null ? 0 : 1;
  }
}
