import { useTestApp } from '../support/app';
import { TestDevice } from '../support/device';
import { postJson, startJourney, submitPassword } from '../support/journeys';
import { completeLogin, exchangeCode, refresh, registerStandardClients } from '../support/oauth';
import { Slapd, startSlapd } from '../support/slapd';
import { VendorServer } from '../support/vendor-server';
import { until } from '../support/until';
import { newDevice } from '../support/factories';

/**
 * Push prompts are counted against the customer's budget in the step's first short transaction, and the
 * push goes out with no pooled connection and no lock held. So while five pushes to one customer hang at
 * the gateway (a pool of three): a sixth for the same customer is refused at once by the budget (the five
 * already count), and journey starts, refreshes and readiness are answered. When the five fail, their
 * prompts stop counting and the refused token can send.
 */
describe('reliability: a hung push gateway holds no connection, and its prompts count while they hang', () => {
  let slapd: Slapd;
  const gateway = new VendorServer();
  const env: Record<string, string> = {};
  beforeAll(async () => {
    slapd = await startSlapd();
    await gateway.start();
    Object.assign(env, slapd.env, {
      DATABASE_POOL_SIZE: '3',
      PUSH_PROVIDER: 'http',
      PUSH_HTTP_URL: `${gateway.url}/push`,
      PUSH_TIMEOUT_MS: '1500',
    });
  });
  afterAll(async () => {
    await gateway.stop();
    await slapd.stop();
  });
  const t = useTestApp({ env }, registerStandardClients);

  it('refuses a sixth prompt at once while five hang, serves other traffic, then uncounts the failed five', async () => {
    const phone = await TestDevice.create();
    const journeys: Array<{ journeyId: string; token: string }> = [];
    for (let i = 0; i < 6; i += 1) {
      const journey = await startJourney(t);
      if (i === 0) {
        // Bound after a second factor, with a push address: a device that receives pushes.
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
      }
      const mfa = await (
        await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password')
      ).json();
      expect(mfa.nextStep.options.map((option: { type: string }) => option.type)).toContain('PUSH');
      journeys.push({ journeyId: journey.journeyId, token: mfa.transactionToken as string });
    }
    const tokens = await (await exchangeCode(t, await completeLogin(t))).json();
    const prompts = async () =>
      (await t.dataSource.query(`SELECT count(*)::int AS n FROM push_prompts WHERE cupid = 'CUPID-BOB-0002'`))[0]
        .n as number;

    // Longer than the adapter's timeout (short enough that no answer is still pending when the file ends).
    gateway.always({ kind: 'slow', ms: 4000, body: { name: 'never' } });
    const [sixth, ...five] = journeys;
    let sendsSettled = 0;
    const sends = five.map((journey) =>
      postJson(t, `/journeys/${journey.journeyId}/push/send`, { transactionToken: journey.token }).finally(() => {
        sendsSettled += 1;
      }),
    );
    await until(() => gateway.requests.length >= 5, 'five pushes at the gateway');
    expect(await prompts()).toBe(5);

    const [refused, started, refreshed, ready] = await Promise.all([
      postJson(t, `/journeys/${sixth.journeyId}/push/send`, { transactionToken: sixth.token }),
      Promise.all(Array.from({ length: 3 }, () => startJourney(t))),
      refresh(t, tokens.refresh_token),
      fetch(`${t.baseUrl}/health/ready`),
    ]);
    expect(sendsSettled).toBe(0);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({
      type: 'urn:ciam:problem:push-limit-reached',
      alternatives: [{ type: 'SMS_OTP' }],
    });
    expect(gateway.requests.length).toBe(5);
    expect(started.every((journey) => journey.body.status === 'PENDING')).toBe(true);
    expect(refreshed.status).toBe(200);
    expect(ready.status).toBe(200);

    const answers = await Promise.all(sends);
    expect(answers.map((answer) => answer.status)).toEqual(Array(5).fill(503));
    expect(await prompts()).toBe(0);
    expect(
      await t.dataSource.query(
        `SELECT status, claim_id FROM auth_transactions WHERE context_id = ANY($1::uuid[]) AND challenge->'choices' ? 'PUSH' GROUP BY status, claim_id`,
        [five.map((journey) => journey.journeyId)],
      ),
    ).toEqual([{ status: 'PENDING', claim_id: null }]);

    gateway.always({ kind: 'json', body: { name: 'projects/x/messages/1' } });
    expect(
      (await postJson(t, `/journeys/${sixth.journeyId}/push/send`, { transactionToken: sixth.token })).status,
    ).toBe(200);
    expect(await prompts()).toBe(1);
  });
});
