import { StatementBatch } from './statement-batch';

/**
 * The batching rules on their own (the statements themselves are covered against PostgreSQL by the token
 * endpoints' specs): who shares a statement, and what each caller gets back when a statement fails.
 */
describe('StatementBatch: group commit of one statement', () => {
  function recorder(
    options: { keys?: (input: string) => string[]; failMany?: Error; maxInFlight?: number; anySize?: boolean } = {},
  ) {
    const statements: string[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batch = new StatementBatch<string, string>(
      async (input) => {
        statements.push([input]);
        if (input === 'bad') throw new Error('constraint violated');
        return `one:${input}`;
      },
      async (inputs) => {
        statements.push(inputs);
        await gate;
        if (options.failMany) throw options.failMany;
        return inputs.map((input) => `many:${input}`);
      },
      { maxBatch: 8, maxInFlight: options.maxInFlight ?? 1, keys: options.keys, anySize: options.anySize },
    );
    return { batch, statements, release };
  }

  it('runs a lone call as the single statement, after one turn of the event loop at most', async () => {
    const { batch, statements } = recorder();
    await expect(batch.run('a')).resolves.toBe('one:a');
    expect(statements).toEqual([['a']]);
  });

  it('sends the calls of one turn together, in a power-of-two batch, each caller answered with its own result', async () => {
    const { batch, statements, release } = recorder();
    release();
    const answers = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((input) => batch.run(input)));
    expect(answers).toEqual(['many:a', 'many:b', 'many:c', 'many:d', 'one:e']);
    expect(statements).toEqual([['a', 'b', 'c', 'd'], ['e']]);
  });

  it('sends every queued call at once (up to the maximum) when the statement takes any count', async () => {
    const { batch, statements, release } = recorder({ anySize: true });
    release();
    const inputs = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'];
    const answers = await Promise.all(inputs.map((input) => batch.run(input)));
    // Eight (the maximum), then the three left, together: not 8 + 2 + 1 as powers of two would split them.
    expect(answers).toEqual(inputs.map((input) => `many:${input}`));
    expect(statements).toEqual([inputs.slice(0, 8), inputs.slice(8)]);
  });

  it('queues what arrives while a batch is in flight and sends it as one when that batch returns', async () => {
    const { batch, statements, release } = recorder();
    const first = [batch.run('a'), batch.run('b')];
    await new Promise((resolve) => setImmediate(resolve));
    const later = [batch.run('c'), batch.run('d')];
    await new Promise((resolve) => setImmediate(resolve));
    expect(statements).toEqual([['a', 'b']]);
    release();
    await expect(Promise.all([...first, ...later])).resolves.toEqual(['many:a', 'many:b', 'many:c', 'many:d']);
    expect(statements).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('never puts two calls with a common key (one token, one session) in one statement', async () => {
    const { batch, statements, release } = recorder({ keys: (input) => [input.slice(0, 1)] });
    release();
    await Promise.all(['t1', 't2', 'u1', 'v1'].map((input) => batch.run(input)));
    expect(statements[0]).toEqual(['t1', 'u1', 'v1']);
    expect(statements.slice(1)).toEqual([['t2']]);
    for (const statement of statements) expect(new Set(statement.map((input) => input[0])).size).toBe(statement.length);
  });

  it('retries each member alone when a batch fails: one bad member fails alone, its neighbours succeed', async () => {
    const { batch, statements, release } = recorder({ failMany: new Error('constraint violated') });
    release();
    const results = await Promise.allSettled(['a', 'bad'].map((input) => batch.run(input)));
    expect(results[0]).toEqual({ status: 'fulfilled', value: 'one:a' });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { message: 'constraint violated' } });
    expect(statements).toEqual([['a', 'bad'], ['a'], ['bad']]);
  });

  it('fails every member at once when the database is unavailable, without retrying each', async () => {
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const { batch, statements, release } = recorder({ failMany: down });
    release();
    const results = await Promise.allSettled(['a', 'b'].map((input) => batch.run(input)));
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(statements).toEqual([['a', 'b']]);
  });
});
