import type { EntityManager } from 'typeorm';
import { retryTransaction } from '../../src/database/retry-transaction';
import { useSpecDatabase } from '../support/database';

/**
 * src/database/retry-transaction.ts against a real PostgreSQL: two transactions that lock two rows in
 * opposite orders deadlock; PostgreSQL aborts one (40P01). Run plainly, one of them fails; run through
 * retryTransaction, the aborted one runs again and both commit.
 */
describe('retryTransaction', () => {
  const spec = useSpecDatabase();

  // Raw SQL on purpose (not a factory): the subject is the SQL itself, on a probe table of the test's own that
  // no repository owns, so that two transactions can provoke a real deadlock (40P01) and a real duplicate key.
  beforeAll(async () => {
    await spec.db.query(`CREATE TABLE retry_probe (id int PRIMARY KEY, hits int NOT NULL DEFAULT 0)`);
    await spec.db.query(`INSERT INTO retry_probe (id) VALUES (1), (2)`);
  });
  beforeEach(() => spec.db.query(`UPDATE retry_probe SET hits = 0`));

  /** Two units of work that meet in the middle: each holds its first row until the other has its own. */
  function crossingPair() {
    let arrived = 0;
    let release!: () => void;
    const bothHoldFirst = new Promise<void>((resolve) => (release = resolve));
    const work = (first: number, second: number) => async (tx: EntityManager) => {
      await tx.query(`UPDATE retry_probe SET hits = hits + 1 WHERE id = $1`, [first]);
      arrived += 1;
      if (arrived === 2) release();
      // Only the first attempts wait for each other; a retry goes straight through.
      if (arrived <= 2) await bothHoldFirst;
      await tx.query(`UPDATE retry_probe SET hits = hits + 1 WHERE id = $1`, [second]);
    };
    return [work(1, 2), work(2, 1)] as const;
  }

  it('without it, one of two crossing transactions fails with a deadlock', async () => {
    const [a, b] = crossingPair();
    const results = await Promise.allSettled([spec.db.transaction(a), spec.db.transaction(b)]);
    const failed = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect(failed[0].reason.driverError?.code ?? failed[0].reason.code).toBe('40P01');
  });

  it('with it, the aborted one runs again and both commit, exactly once each', async () => {
    const [a, b] = crossingPair();
    await Promise.all([retryTransaction(spec.db, a), retryTransaction(spec.db, b)]);
    expect(await spec.db.query(`SELECT id, hits FROM retry_probe ORDER BY id`)).toEqual([
      { id: 1, hits: 2 },
      { id: 2, hits: 2 },
    ]);
  });

  it('does not retry other errors', async () => {
    let attempts = 0;
    await expect(
      retryTransaction(spec.db, async (tx) => {
        attempts += 1;
        await tx.query(`INSERT INTO retry_probe (id) VALUES (1)`);
      }),
    ).rejects.toMatchObject({ driverError: expect.objectContaining({ code: '23505' }) });
    expect(attempts).toBe(1);
  });
});
