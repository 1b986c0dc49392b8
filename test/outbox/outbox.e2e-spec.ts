import { Injectable, Module, OnModuleInit } from '@nestjs/common';
import { OutboxDispatcher } from '../../src/outbox/outbox-dispatcher';
import { postDelivery } from '../../src/outbox/http-delivery';
import { OutboxDelivery, OutboxOutcome, OutboxService } from '../../src/outbox/outbox.service';
import { startTestApp } from '../support/app';
import type { TestApp } from '../support/app';
import { cli } from '../support/cli';
import { until } from '../support/until';
import { VendorServer } from '../support/vendor-server';

/**
 * The transactional outbox (issues 15 and 19): messages commit with the transaction that enqueues them, are
 * delivered after it by any instance, retried with backoff, dead-lettered, kept in order per key, and never
 * delivered by two instances at once. Handlers here are the tests' own channels, POSTing to a local receiver.
 */

const receiver = new VendorServer();
/** What each test's function channel answers, and every delivery it saw (by instance). */
const seen: Array<{ instance: string; message: OutboxDelivery }> = [];
let answer: (message: OutboxDelivery) => Promise<OutboxOutcome> = async () => ({ outcome: 'delivered' });

function handlersFor(instance: string) {
  @Injectable()
  class TestHandlers implements OnModuleInit {
    constructor(private readonly outbox: OutboxService) {}
    onModuleInit(): void {
      this.outbox.registerHandler('test_fn', async (message) => {
        seen.push({ instance, message });
        return answer(message);
      });
      this.outbox.registerHandler('test_quiet', async () => ({ outcome: 'delivered' }), { auditDelivered: false });
      this.outbox.registerHandler('test_http', (message) =>
        postDelivery({
          vendor: 'test-receiver',
          url: `${receiver.url}/hook/${message.destination}`,
          contentType: 'application/json',
          body: JSON.stringify({ id: message.id, instance, ...message.payload }),
          timeoutMs: 2000,
          nodeEnv: 'test',
        }),
      );
    }
  }
  @Module({ providers: [TestHandlers] })
  class TestHandlersModule {}
  return TestHandlersModule;
}

const env = {
  OUTBOX_DELIVERY_ENABLED: 'true',
  OUTBOX_POLL_INTERVAL_MS: '50',
  OUTBOX_BACKOFF_BASE_MS: '20',
  OUTBOX_BACKOFF_MAX_MS: '100',
  OUTBOX_MAX_ATTEMPTS: '3',
  OUTBOX_LEASE_SECONDS: '30',
};

describe('the outbox', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    await receiver.start();
    a = await startTestApp({ env, imports: [handlersFor('a')] });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await receiver.stop();
  });
  beforeEach(() => {
    seen.length = 0;
    receiver.requests.length = 0;
    receiver.always({ kind: 'json', body: {} });
    answer = async () => ({ outcome: 'delivered' });
  });

  const outbox = () => a.app.get(OutboxService);
  const rowsOf = (id: string) =>
    a.dataSource.query<Array<{ state: string; attempts: number; last_error: string | null }>>(
      'SELECT state, attempts, last_error FROM outbox_messages WHERE id = $1',
      [id],
    );
  const auditOf = (id: string) =>
    a.dataSource.query<Array<{ event_type: string; outcome: string; details: Record<string, unknown> }>>(
      `SELECT event_type, outcome, details FROM audit_logs WHERE details->>'messageId' = $1 ORDER BY created_at`,
      [id],
    );
  const idsOf = async (channel: string, destination: string) =>
    (
      await a.dataSource.query<Array<{ id: string }>>(
        'SELECT id::text AS id FROM outbox_messages WHERE channel = $1 AND destination = $2 ORDER BY outbox_messages.id',
        [channel, destination],
      )
    ).map((row) => row.id);

  it('delivers a message only once the transaction that enqueued it commits, and never one rolled back', async () => {
    await a.dataSource
      .transaction(async (tx) => {
        await outbox().enqueue(tx, [
          { channel: 'test_http', destination: 'rolled-back', orderingKey: null, payload: { n: 0 } },
        ]);
        throw new Error('the change fails');
      })
      .catch(() => undefined);
    await a.dataSource.transaction((tx) =>
      outbox().enqueue(tx, [{ channel: 'test_http', destination: 'committed', orderingKey: null, payload: { n: 1 } }]),
    );
    await until(() => receiver.requests.length === 1, 'the committed message to arrive');
    const [request] = receiver.requests;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/hook/committed');
    expect(request.headers['content-type']).toBe('application/json');
    const [id] = await idsOf('test_http', 'committed');
    expect(JSON.parse(request.body)).toEqual({ id, instance: 'a', n: 1 });
    expect(await idsOf('test_http', 'rolled-back')).toEqual([]);
    await waitForState(id, 'DELIVERED');
    expect(await auditOf(id)).toEqual([
      {
        event_type: 'outbox.delivered',
        outcome: 'SUCCESS',
        details: { messageId: id, channel: 'test_http', destination: 'committed', attempt: 1 },
      },
    ]);
  });

  it('audits no delivery of a channel registered with auditDelivered: false (e.g. webhooks of audit events)', async () => {
    await outbox().enqueue(undefined, [
      { channel: 'test_quiet', destination: 'quiet', orderingKey: null, payload: {} },
    ]);
    const [id] = await idsOf('test_quiet', 'quiet');
    await waitForState(id, 'DELIVERED');
    expect(await auditOf(id)).toEqual([]);
  });

  it('enqueues from a statement fragment only when the statement’s condition holds', async () => {
    const run = async (changed: boolean, destination: string) => {
      const fragment = outbox().fragment(
        [{ channel: 'test_fn', destination, orderingKey: null, payload: { changed } }],
        2,
        { when: 'EXISTS (SELECT 1 FROM changed)' },
      );
      await a.dataSource.query(`WITH changed AS (SELECT 1 WHERE $1::boolean), outbox AS (${fragment.text}) SELECT 1`, [
        changed,
        ...fragment.values,
      ]);
    };
    await run(false, 'fragment-unchanged');
    await run(true, 'fragment-changed');
    expect(await idsOf('test_fn', 'fragment-unchanged')).toEqual([]);
    const [id] = await idsOf('test_fn', 'fragment-changed');
    await waitForState(id, 'DELIVERED');
    expect(seen.map((s) => s.message.payload)).toEqual([{ changed: true }]);
  });

  it('retries after the receiver answered 500, with backoff, then records the delivery', async () => {
    receiver.next({ kind: 'status', status: 500 }, { kind: 'status', status: 503 });
    await outbox().enqueue(undefined, [
      { channel: 'test_http', destination: 'flaky', orderingKey: null, payload: { n: 2 } },
    ]);
    const [id] = await idsOf('test_http', 'flaky');
    await waitForState(id, 'DELIVERED');
    expect(receiver.requests.map((r) => r.url)).toEqual(['/hook/flaky', '/hook/flaky', '/hook/flaky']);
    expect((await rowsOf(id))[0]).toMatchObject({ state: 'DELIVERED', attempts: 3, last_error: null });
    const audit = await auditOf(id);
    expect(audit.map((e) => [e.event_type, e.details.attempt])).toEqual([
      ['outbox.delivery_failed', 1],
      ['outbox.delivery_failed', 2],
      ['outbox.delivered', 3],
    ]);
    expect(audit[0].details.error).toBe('test-receiver unavailable: HTTP 500');
    expect(typeof audit[0].details.nextAttemptAt).toBe('string');
  });

  it('dead-letters after the maximum attempts; an operator retry delivers it', async () => {
    receiver.always({ kind: 'status', status: 500 });
    await outbox().enqueue(undefined, [
      { channel: 'test_http', destination: 'down', orderingKey: null, payload: { n: 3 } },
    ]);
    const [id] = await idsOf('test_http', 'down');
    await waitForState(id, 'DEAD');
    expect(receiver.requests).toHaveLength(3);
    expect((await rowsOf(id))[0]).toMatchObject({ attempts: 3, last_error: 'test-receiver unavailable: HTTP 500' });
    expect((await auditOf(id)).at(-1)).toMatchObject({
      event_type: 'outbox.dead_lettered',
      outcome: 'FAILURE',
      details: { reason: 'max_attempts', attempt: 3 },
    });
    const dead = await outbox().list({ state: 'DEAD' });
    expect(dead.map((m) => m.id)).toContain(id);

    receiver.always({ kind: 'json', body: {} });
    expect(await outbox().retryDead(id, { type: 'SYSTEM', id: 'cli' })).toBe(true);
    expect(await outbox().retryDead(id, { type: 'SYSTEM', id: 'cli' })).toBe(false);
    await waitForState(id, 'DELIVERED');
    expect(receiver.requests).toHaveLength(4);
    expect((await auditOf(id)).slice(-2).map((e) => e.event_type)).toEqual(['outbox.requeued', 'outbox.delivered']);
  });

  it('dead-letters at once what the receiver refuses for good (400), without retrying', async () => {
    receiver.next({ kind: 'status', status: 400 });
    await outbox().enqueue(undefined, [
      { channel: 'test_http', destination: 'refuses', orderingKey: null, payload: { n: 4 } },
    ]);
    const [id] = await idsOf('test_http', 'refuses');
    await waitForState(id, 'DEAD');
    expect(receiver.requests).toHaveLength(1);
    expect((await auditOf(id)).at(-1)?.details).toMatchObject({
      reason: 'refused',
      error: 'test-receiver answered HTTP 400',
    });
  });

  it('keeps enqueue order per ordering key: a later message waits while an earlier one retries', async () => {
    let failedOnce = false;
    answer = async (message) => {
      if (message.payload.n === 1 && !failedOnce) {
        failedOnce = true;
        return { outcome: 'retry', error: 'first attempt fails' };
      }
      return { outcome: 'delivered' };
    };
    await a.dataSource.transaction((tx) =>
      outbox().enqueue(
        tx,
        [1, 2, 3].map((n) => ({
          channel: 'test_fn',
          destination: 'ordered',
          orderingKey: 'customer-1',
          payload: { n },
        })),
      ),
    );
    const ids = await idsOf('test_fn', 'ordered');
    await waitForState(ids[2], 'DELIVERED');
    expect(seen.map((s) => s.message.payload.n)).toEqual([1, 1, 2, 3]);
  });

  it('operators list dead letters and put one back with the CLI (outbox:list --dead, outbox:retry)', async () => {
    answer = async () => ({ outcome: 'dead', error: 'receiver refused it' });
    await outbox().enqueue(undefined, [
      { channel: 'test_fn', destination: 'cli-dead', orderingKey: null, payload: { n: 5 } },
    ]);
    const [id] = await idsOf('test_fn', 'cli-dead');
    await waitForState(id, 'DEAD');
    const listed = await cli(a, 'outbox:list', '--dead', '--channel', 'test_fn');
    expect(listed.code).toBe(0);
    const lines = listed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.find((line) => line.id === id)).toMatchObject({
      channel: 'test_fn',
      destination: 'cli-dead',
      state: 'DEAD',
      attempts: 1,
      lastError: 'receiver refused it',
    });
    answer = async () => ({ outcome: 'delivered' });
    const retried = await cli(a, 'outbox:retry', id);
    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.stdout)).toEqual({ requeued: id });
    await waitForState(id, 'DELIVERED');
    const again = await cli(a, 'outbox:retry', id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no dead outbox message ${id}`);
    const [requeued] = await auditOf(id).then((events) => events.filter((e) => e.event_type === 'outbox.requeued'));
    expect(requeued.details).toMatchObject({ messageId: id, by: 'cli' });
  }, 120_000);

  it('reports the backlog and deliveries on /metrics', async () => {
    answer = async () => ({ outcome: 'dead', error: 'gone' });
    await outbox().enqueue(undefined, [{ channel: 'test_fn', destination: 'metrics', orderingKey: null, payload: {} }]);
    const [id] = await idsOf('test_fn', 'metrics');
    await waitForState(id, 'DEAD');
    const text = await (await fetch(`${a.baseUrl}/metrics`)).text();
    expect(text).toMatch(/ciam_outbox_messages\{channel="test_fn",state="dead"\} [1-9]/);
    expect(text).toMatch(/ciam_outbox_oldest_age_seconds\{channel="test_fn",state="dead"\} /);
    expect(text).toMatch(/ciam_outbox_deliveries_total\{channel="test_fn",outcome="dead"\} [1-9]/);
    expect(text).toMatch(/ciam_outbox_deliveries_total\{channel="test_http",outcome="delivered"\} [1-9]/);
  });

  it('two instances on one database deliver each message once, never the same one at the same time', async () => {
    b = await startTestApp({ env, database: a.database, imports: [handlersFor('b')] });
    const inFlight = new Map<string, number>();
    let overlaps = 0;
    answer = async (message) => {
      const now = (inFlight.get(message.id) ?? 0) + 1;
      inFlight.set(message.id, now);
      if (now > 1) overlaps += 1;
      // Long enough that both instances are busy at once.
      await new Promise((resolve) => setTimeout(resolve, 30));
      inFlight.set(message.id, (inFlight.get(message.id) ?? 1) - 1);
      return { outcome: 'delivered' };
    };
    const messages = Array.from({ length: 60 }, (_, n) => ({
      channel: 'test_fn',
      destination: `fleet-${n % 6}`,
      orderingKey: null,
      payload: { n },
    }));
    await a.dataSource.transaction((tx) => outbox().enqueue(tx, messages));
    a.app.get(OutboxDispatcher).wake();
    b.app.get(OutboxDispatcher).wake();
    await until(() => seen.length >= 60, 'every message to be delivered');
    const undelivered = async () =>
      Number(
        (
          await a.dataSource.query<Array<{ n: string }>>(
            `SELECT count(*) AS n FROM outbox_messages WHERE destination LIKE 'fleet-%' AND state <> 'DELIVERED'`,
          )
        )[0].n,
      );
    await waitFor(async () => (await undelivered()) === 0, 'every outcome to be recorded');
    expect(overlaps).toBe(0);
    expect(seen).toHaveLength(60);
    expect(new Set(seen.map((s) => s.message.id)).size).toBe(60);
    expect(new Set(seen.map((s) => s.instance))).toEqual(new Set(['a', 'b']));
  });

  async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function waitForState(id: string, state: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const [row] = await rowsOf(id);
      if (row?.state === state) return;
      if (Date.now() > deadline) throw new Error(`message ${id} is ${row?.state}, not ${state}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
});
