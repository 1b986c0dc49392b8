import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { GENESIS_HASH, nextLink } from '../audit/audit-chain';
import { AuditChainRepository } from '../audit/audit-chain.repository';
import { SigningKeysService } from '../tokens/keys/signing-keys.service';
import { CHECKPOINT_AUDIENCE, PRUNE_AUDIENCE } from './audit-checkpoints';

export interface ChainBreak {
  seq: number;
  id: string | null;
  problem: 'content changed' | 'link broken' | 'rows missing' | 'seq repeated' | 'checkpoint' | 'no anchor';
  detail: string;
}

export interface VerifyReport {
  ok: boolean;
  fromSeq: number;
  toSeq: number;
  rowsChecked: number;
  checkpointsVerified: number;
  /** Seq ranges a signed retention record accounts for. */
  pruned: Array<{ from: number; to: number }>;
  /** Committed rows the sequencer has not chained yet (not verifiable yet; normally a few seconds' worth). */
  unchained: number;
  firstBreak: ChainBreak | null;
}

const PAGE = 1000;

/**
 * `npm run cli -- audit:verify`: walks the chain in seq order one keyset page at a time (bounded memory at any
 * size), recomputes every row's content hash from its columns and every link, checks each signed checkpoint
 * in the range against the link at its seq, and stops at the first break.
 */
@Injectable()
export class AuditVerifier {
  constructor(
    private readonly dataSource: DataSource,
    private readonly chain: AuditChainRepository,
    private readonly keys: SigningKeysService,
  ) {}

  async verify(
    options: { fromSeq?: number; toSeq?: number; progress?: (rows: number) => void } = {},
  ): Promise<VerifyReport> {
    const manager = this.dataSource.manager;
    const head = await this.chain.head(manager);
    const fromSeq = Math.max(1, options.fromSeq ?? 1);
    const toSeq = Math.min(options.toSeq ?? head.headSeq, head.headSeq);
    const report: VerifyReport = {
      ok: true,
      fromSeq,
      toSeq,
      rowsChecked: 0,
      checkpointsVerified: 0,
      pruned: [],
      unchained: await this.chain.unchainedCount(manager),
      firstBreak: null,
    };
    const fail = (problem: ChainBreak) => ({ ...report, ok: false, firstBreak: problem });

    // Checkpoints first: a forged or re-signed checkpoint is a break whatever the rows say.
    const checkpoints = new Map<number, Buffer>();
    for (const checkpoint of await this.chain.checkpointsBetween(manager, fromSeq, toSeq)) {
      const seq = Number(checkpoint.seq);
      const claims = await this.keys
        .verifyRecord(checkpoint.jws, CHECKPOINT_AUDIENCE)
        .then((result) => result.payload)
        .catch(() => null);
      if (!claims || claims.seq !== seq || claims.chain_hash !== checkpoint.chain_hash.toString('hex'))
        return fail({ seq, id: null, problem: 'checkpoint', detail: 'checkpoint signature or claims do not verify' });
      checkpoints.set(seq, checkpoint.chain_hash);
    }

    let previous: Buffer | null = fromSeq === 1 ? GENESIS_HASH : await this.chain.linkAt(manager, fromSeq - 1);
    previous ??= await this.anchor(fromSeq - 1);
    if (!previous)
      return fail({
        seq: fromSeq,
        id: null,
        problem: 'no anchor',
        detail: `no link at seq ${fromSeq - 1} to start from`,
      });

    let expected = fromSeq;
    while (expected <= toSeq) {
      const rows = await this.chain.page(manager, expected - 1, toSeq, PAGE);
      if (rows.length === 0) break;
      for (const row of rows) {
        const seq = Number(row.chain_seq);
        if (seq < expected)
          return fail({ seq, id: row.id, problem: 'seq repeated', detail: `seq ${seq} appears twice` });
        if (seq > expected) {
          const anchor = await this.anchor(seq - 1);
          if (!anchor)
            return fail({
              seq: expected,
              id: null,
              problem: 'rows missing',
              detail: `seq ${expected}..${seq - 1} are missing and no signed retention record accounts for them`,
            });
          report.pruned.push({ from: expected, to: seq - 1 });
          previous = anchor;
        }
        if (!row.recomputed.equals(row.content_hash))
          return fail({
            seq,
            id: row.id,
            problem: 'content changed',
            detail: 'the row no longer matches its content hash',
          });
        const link = nextLink(previous, row.content_hash);
        if (!link.equals(row.chain_hash))
          return fail({
            seq,
            id: row.id,
            problem: 'link broken',
            detail: 'chain_hash does not follow from the previous link',
          });
        const signed = checkpoints.get(seq);
        if (signed && !signed.equals(link))
          return fail({ seq, id: row.id, problem: 'checkpoint', detail: 'the signed checkpoint holds another hash' });
        if (signed) report.checkpointsVerified += 1;
        previous = link;
        expected = seq + 1;
        report.rowsChecked += 1;
      }
      options.progress?.(report.rowsChecked);
    }
    if (expected <= toSeq)
      return fail({
        seq: expected,
        id: null,
        problem: 'rows missing',
        detail: `seq ${expected}..${toSeq} are missing`,
      });
    return report;
  }

  /** The link a verified retention record kept for `seq` (the last removed row before a surviving one). */
  private async anchor(seq: number): Promise<Buffer | null> {
    if (seq < 1) return null;
    for (const prune of await this.chain.prunesWithAnchor(this.dataSource.manager, seq)) {
      const verified = await this.keys
        .verifyRecord(prune.jws, PRUNE_AUDIENCE)
        .then((result) => result.payload)
        .catch(() => null);
      const anchors = (verified?.anchors ?? []) as Array<{ seq: number; hash: string }>;
      const anchor = anchors.find((candidate) => candidate.seq === seq);
      if (anchor) return Buffer.from(anchor.hash, 'hex');
    }
    return null;
  }
}
