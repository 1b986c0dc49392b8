import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditChainRepository, PruneSummary } from '../audit/audit-chain.repository';
import { Clock } from '../common/clock';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { SigningKeysService } from '../tokens/keys/signing-keys.service';

/** The `aud` of the records this service signs, so a checkpoint can never pass for a token or the reverse. */
export const CHECKPOINT_AUDIENCE = 'urn:ciam:audit-checkpoint';
export const PRUNE_AUDIENCE = 'urn:ciam:audit-prune';

/**
 * Signed statements about the chain, made with the service's signing keys (JWS, verifiable by anyone with
 * the public keys): checkpoints of the head (an attacker who rewrites rows and re-computes every later link
 * still cannot forge the signed hash at a checkpoint), and the record of what a retention run removed.
 */
@Injectable()
export class AuditCheckpoints {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly chain: AuditChainRepository,
    private readonly keys: SigningKeysService,
    private readonly clock: Clock,
  ) {}

  /** Signs the current head unless it is already checkpointed; returns the seq signed, or null. */
  async checkpoint(): Promise<number | null> {
    const manager = this.dataSource.manager;
    const head = await this.chain.head(manager);
    const latest = await this.chain.latestCheckpoint(manager);
    if (head.headSeq === 0 || (latest && Number(latest.seq) >= head.headSeq)) return null;
    const jws = await this.keys.sign(
      {
        iss: this.config.oidc.issuer,
        aud: CHECKPOINT_AUDIENCE,
        iat: Math.floor(this.clock.now().getTime() / 1000),
        seq: head.headSeq,
        chain_hash: head.headHash.toString('hex'),
      },
      'JWT',
    );
    await this.chain.insertCheckpoint(manager, head.headSeq, head.headHash, jws);
    return head.headSeq;
  }

  /**
   * Before a retention run removes rows (`partition` dropped, or DEFAULT rows before `before` deleted):
   * their seq range and the links verification needs to step over the hole, signed and stored.
   */
  async recordPrune(manager: EntityManager, partition: string, before?: Date): Promise<PruneSummary> {
    const summary = await this.chain.pruneSummary(manager, partition, before);
    if (summary.rowCount === 0) return summary;
    const jws = await this.keys.sign(
      {
        iss: this.config.oidc.issuer,
        aud: PRUNE_AUDIENCE,
        iat: Math.floor(this.clock.now().getTime() / 1000),
        partition,
        first_seq: summary.firstSeq,
        last_seq: summary.lastSeq,
        row_count: summary.rowCount,
        anchors: summary.anchors,
      },
      'JWT',
    );
    await this.chain.insertPrune(manager, partition, summary, jws);
    return summary;
  }
}
