import { useTestApp } from '../support/app';
import { TestDevice } from '../support/device';
import { postJson, startJourney, submitPassword } from '../support/journeys';
import { registerStandardClients } from '../support/oauth';
import { Slapd, startSlapd } from '../support/slapd';
import { VendorServer } from '../support/vendor-server';
import { newDevice } from '../support/factories';

/**
 * A push whose gateway failed is retried with the same transaction token: the device is sent the very
 * same challenge (id, idempotency key) and the number shown is the one the answer is checked against.
 */
describe('reliability: a retried push sends the same challenge', () => {
  let slapd: Slapd;
  const push = new VendorServer();
  const env: Record<string, string> = {};
  beforeAll(async () => {
    slapd = await startSlapd();
    await push.start();
    Object.assign(env, slapd.env, { PUSH_PROVIDER: 'http', PUSH_HTTP_URL: `${push.url}/push`, PUSH_TIMEOUT_MS: '300' });
  });
  afterAll(async () => {
    await push.stop();
    await slapd.stop();
  });
  const t = useTestApp({ env }, registerStandardClients);

  it('pushes one challenge id under one idempotency key, and the number shown is the one approved', async () => {
    const phone = await TestDevice.create();
    const journey = await startJourney(t);
    // Bound after a second factor: only such a device receives a push (a password alone never makes a factor).
    await newDevice(t.dataSource, {
      cupid: 'CUPID-BOB-0002',
      publicKeyJwk: phone.publicJwk as Record<string, unknown>,
      thumbprint: phone.thumbprint,
      name: 'Bob phone',
      platform: 'android',
      pushAddress: 'fcm-token-bob',
      contextId: journey.journeyId,
      at: t.clock.now(),
      mfaAt: t.clock.now(),
    });
    const mfa = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password')
    ).json();
    expect(mfa.nextStep.options.map((option: { type: string }) => option.type)).toContain('PUSH');

    push.always({ kind: 'status', status: 502 });
    const failed = await postJson(t, `/journeys/${journey.journeyId}/push/send`, {
      transactionToken: mfa.transactionToken,
    });
    expect(failed.status).toBe(503);
    expect((await failed.json()).type).toBe('urn:ciam:problem:push-not-sent');
    // A push that reached no device does not count against the push budgets.
    const prompts = () =>
      t.dataSource.query(`SELECT count(*)::int AS n FROM push_prompts WHERE context_id = $1`, [journey.journeyId]);
    expect(await prompts()).toEqual([{ n: 0 }]);

    push.always({ kind: 'json', body: { name: 'projects/x/messages/1' } });
    const sent = await postJson(t, `/journeys/${journey.journeyId}/push/send`, {
      transactionToken: mfa.transactionToken,
    });
    expect(sent.status).toBe(200);
    const waiting = await sent.json();
    const challengeIds = push.requests.map((request) => JSON.parse(request.body).message.data.pushChallengeId);
    expect(push.requests.length).toBeGreaterThanOrEqual(2);
    expect(new Set(challengeIds).size).toBe(1);
    expect(new Set(push.requests.map((request) => request.headers['idempotency-key'])).size).toBe(1);
    expect(await prompts()).toEqual([{ n: 1 }]);

    // The push factor keeps the challenge in its own table; the waiting transaction names only its id.
    const [row] = await t.dataSource.query(
      `SELECT challenge FROM auth_transactions WHERE context_id = $1 AND status = 'PENDING'`,
      [journey.journeyId],
    );
    expect(row.challenge).toEqual({ pushChallengeId: challengeIds[0], choices: expect.any(Array) });
    const challenges = await t.dataSource.query(
      `SELECT id, number, status, device_ids FROM push_challenges WHERE context_id = $1`,
      [journey.journeyId],
    );
    expect(challenges).toEqual([
      { id: challengeIds[0], number: waiting.nextStep.number, status: 'PENDING', device_ids: [expect.any(String)] },
    ]);
    const number = waiting.nextStep.number as number;
    const answered = await postJson(t, `/devices/push-challenges/${challengeIds[0]}/response`, {
      decision: 'approve',
      number,
      signature: await phone.sign({ pushChallengeId: challengeIds[0], number, decision: 'approve' }),
    });
    expect(answered.status).toBe(200);
    const done = await postJson(t, `/journeys/${journey.journeyId}/push`, {
      transactionToken: waiting.transactionToken,
    });
    expect(done.status).toBe(200);
    expect((await done.json()).status).toBe('COMPLETED');
    expect(
      await t.dataSource.query(
        `SELECT status, answered_at IS NOT NULL AS answered FROM push_challenges WHERE id = $1`,
        [challengeIds[0]],
      ),
    ).toEqual([{ status: 'APPROVED', answered: true }]);
  });
});
