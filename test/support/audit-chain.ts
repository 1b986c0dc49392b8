import type { DataSource } from 'typeorm';

/**
 * Chains the audit rows until none committed is left unchained (bounded by 30 s). One `chainAll()` stops at the
 * sequencer's horizon, the oldest transaction running on the whole PostgreSQL server, and the spec files running
 * beside this one share that server: a transaction of theirs can hold rows back for a moment.
 */
export async function chainEverything(dataSource: DataSource, chain: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await chain();
    const [{ n }] = (await dataSource.query(
      `SELECT count(*)::int AS n FROM audit_logs WHERE chain_seq IS NULL`,
    )) as Array<{ n: number }>;
    if (n === 0 || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
