import { startTestApp, TestApp, useTestApp } from '../support/app';
import { postJson, startJourney, submitPassword } from '../support/journeys';
import { registerStandardClients } from '../support/oauth';
import { useDirectoryAndSmsGateway } from '../support/sms-gateway';

/**
 * A reply lost after commit (crash, failover, proxy cut): the client retries the step with the same
 * transaction token and the same body, on whichever instance, and gets the very answer it missed; the
 * journey does not move twice, and nothing else can use the spent token.
 */
describe('reliability: a step retried after a lost reply gets the same answer', () => {
  let other: TestApp;
  const { gateway, env } = useDirectoryAndSmsGateway();
  const t = useTestApp({ env }, async (app) => {
    await registerStandardClients(app);
    // A second instance on the same database: the retry may land anywhere.
    other = await startTestApp({ env, database: app.database, clock: app.clock });
  });
  afterAll(async () => {
    await other?.close();
  });

  /** The body as the client sees it; the problem's requestId names each request, so it differs by design. */
  const comparable = (body: Record<string, unknown>) => ({ ...body, requestId: undefined });

  it('a completed password step, retried on another instance, answers the same code; one session exists', async () => {
    const journey = await startJourney(t);
    const first = await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password');
    const retried = await submitPassword(other, journey.journeyId, journey.transactionToken, 'alice', 'alice-password');
    expect(first.status).toBe(200);
    expect(retried.status).toBe(200);
    const body = await first.json();
    expect(body).toMatchObject({ status: 'COMPLETED', authorizationCode: expect.any(String) });
    expect(await retried.json()).toEqual(body);

    expect(
      await t.dataSource.query(`SELECT count(*)::int AS n FROM sessions WHERE context_id = $1`, [journey.journeyId]),
    ).toEqual([{ n: 1 }]);
    expect(await t.dataSource.query(`SELECT status FROM auth_contexts WHERE id = $1`, [journey.journeyId])).toEqual([
      { status: 'COMPLETED' },
    ]);
    const events = (
      await t.dataSource.query(`SELECT event_type, details FROM audit_logs WHERE context_id = $1 ORDER BY created_at`, [
        journey.journeyId,
      ])
    ).map((row: { event_type: string }) => row.event_type);
    expect(events.filter((type: string) => type === 'journey.completed')).toHaveLength(1);
    expect(events.filter((type: string) => type === 'credentials.verified')).toHaveLength(1);
    expect(events.at(-1)).toBe('journey.response_replayed');
    // The stored answer is sealed: the authorization code is nowhere in the row in the clear.
    const [row] = await t.dataSource.query(
      `SELECT response_sealed FROM auth_transactions WHERE context_id = $1 AND response_sealed IS NOT NULL`,
      [journey.journeyId],
    );
    expect(row.response_sealed.toString('latin1')).not.toContain(body.authorizationCode);
  });

  it('a wrong password, retried, answers the same 401 with the same fresh token, and counts once', async () => {
    const journey = await startJourney(t);
    const first = await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'not-her-password');
    const retried = await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'not-her-password');
    expect(first.status).toBe(401);
    expect(retried.status).toBe(401);
    const body = await first.json();
    expect(body).toMatchObject({
      type: 'urn:ciam:problem:invalid-credentials',
      attemptsLeft: 4,
      transactionToken: expect.any(String),
    });
    expect(comparable(await retried.json())).toEqual(comparable(body));
    const rejections = await t.dataSource.query(
      `SELECT details FROM audit_logs WHERE context_id = $1 AND event_type = 'credentials.rejected'`,
      [journey.journeyId],
    );
    expect(rejections).toEqual([{ details: expect.objectContaining({ reason: 'invalid' }) }]);
    // The fresh token from the answer works.
    expect((await submitPassword(t, journey.journeyId, body.transactionToken, 'alice', 'alice-password')).status).toBe(
      200,
    );
  });

  it('an SMS send retried gets the same answer and sends no second message', async () => {
    const journey = await startJourney(t);
    const mfa = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password')
    ).json();
    const before = gateway.requests.length;
    const first = await postJson(t, `/journeys/${journey.journeyId}/sms-otp/send`, {
      transactionToken: mfa.transactionToken,
    });
    const retried = await postJson(other, `/journeys/${journey.journeyId}/sms-otp/send`, {
      transactionToken: mfa.transactionToken,
    });
    expect(first.status).toBe(200);
    expect(retried.status).toBe(200);
    expect(await retried.json()).toEqual(await first.json());
    expect(gateway.requests.length - before).toBe(1);
    expect(
      await t.dataSource.query(`SELECT count(*)::int AS n FROM sms_deliveries WHERE context_id = $1`, [
        journey.journeyId,
      ]),
    ).toEqual([{ n: 1 }]);
  });

  it("a retry that arrives while the first try is still at the gateway: 409 STEP_IN_PROGRESS with Retry-After, then the first try's answer", async () => {
    const journey = await startJourney(t);
    const mfa = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password')
    ).json();
    const before = gateway.requests.length;
    gateway.next({ kind: 'slow', ms: 1500, body: { id: 'msg-slow' } });
    const send = () =>
      postJson(other, `/journeys/${journey.journeyId}/sms-otp/send`, { transactionToken: mfa.transactionToken });
    const first = postJson(t, `/journeys/${journey.journeyId}/sms-otp/send`, {
      transactionToken: mfa.transactionToken,
    });
    while (gateway.requests.length === before) await new Promise((resolve) => setTimeout(resolve, 20));
    const early = await send();
    expect(early.status).toBe(409);
    expect(early.headers.get('retry-after')).toBe('1');
    expect(await early.json()).toMatchObject({ type: 'urn:ciam:problem:step-in-progress', status: 409 });

    const answered = await first;
    expect(answered.status).toBe(200);
    const later = await send();
    expect(later.status).toBe(200);
    expect(await later.json()).toEqual(await answered.json());
    expect(gateway.requests.length - before).toBe(1);
  });

  it('another body with the spent token, or the same body after the window, is refused', async () => {
    const journey = await startJourney(t);
    expect(
      (await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password')).status,
    ).toBe(200);
    const otherBody = await submitPassword(t, journey.journeyId, journey.transactionToken, 'ALICE', 'alice-password');
    expect(otherBody.status).toBe(400);
    expect(await otherBody.json()).toMatchObject({ type: 'urn:ciam:problem:transaction-invalid' });
    t.clock.advance(t.config.journeys.retryWindowSeconds + 1);
    const late = await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password');
    expect(late.status).toBe(400);
    const reasons = (
      await t.dataSource.query(
        `SELECT details->>'reason' AS reason FROM audit_logs WHERE context_id = $1 AND event_type = 'journey.transaction_rejected' ORDER BY created_at`,
        [journey.journeyId],
      )
    ).map((row: { reason: string }) => row.reason);
    expect(reasons).toEqual(['consumed', 'consumed']);
  });

  it('JOURNEY_RETRY_WINDOW_SECONDS=0 keeps no answer: a retry is a replay', async () => {
    const strict = await startTestApp({ env: { ...env, JOURNEY_RETRY_WINDOW_SECONDS: '0' }, database: t.database });
    try {
      const journey = await startJourney(strict);
      expect(
        (await submitPassword(strict, journey.journeyId, journey.transactionToken, 'alice', 'alice-password')).status,
      ).toBe(200);
      expect(
        (await submitPassword(strict, journey.journeyId, journey.transactionToken, 'alice', 'alice-password')).status,
      ).toBe(400);
      expect(
        await strict.dataSource.query(
          `SELECT count(*)::int AS n FROM auth_transactions WHERE context_id = $1 AND response_sealed IS NOT NULL`,
          [journey.journeyId],
        ),
      ).toEqual([{ n: 0 }]);
    } finally {
      await strict.close();
    }
  });
});
