import { createHash } from 'node:crypto';

/** The chain's first "previous hash": 32 zero bytes (audit_chain_state.head_hash starts there too). */
export const GENESIS_HASH = Buffer.alloc(32);

/**
 * One link: SHA-256(previous chain_hash || content_hash). content_hash is SHA-256 of audit_canonical(row),
 * computed by PostgreSQL (migrations/1796080082380-ChainAuditTamperEvidence.ts) from the row as stored, so the
 * sequencer and audit:verify hash exactly the same bytes.
 */
export function nextLink(previous: Buffer, contentHash: Buffer): Buffer {
  return createHash('sha256').update(previous).update(contentHash).digest();
}

/** The SQL expression of a row's content hash, for a row aliased `a` of audit_logs. */
export const CONTENT_HASH_SQL = `sha256(convert_to(audit_canonical(a), 'UTF8'))`;
