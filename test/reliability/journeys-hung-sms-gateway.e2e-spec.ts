import { useTestApp } from '../support/app';
import { postJson, startJourney, submitPassword } from '../support/journeys';
import { completeLogin, exchangeCode, refresh, registerStandardClients } from '../support/oauth';
import { useDirectoryAndSmsGateway } from '../support/sms-gateway';
import { until } from '../support/until';

/**
 * Ten SMS sends waiting on a hung gateway must cost only themselves: no pooled connection is held while
 * the gateway is called, so with a pool of three, journey starts, refreshes and readiness on the same
 * instance are answered while all ten sends are still waiting.
 */
describe('reliability: a hung SMS gateway does not starve the pool', () => {
  const { gateway, env } = useDirectoryAndSmsGateway({
    DATABASE_POOL_SIZE: '3',
    SMS_TIMEOUT_MS: '1500',
    SMS_HTTP_RETRIES: '1',
  });
  const t = useTestApp({ env }, registerStandardClients);

  it('answers journey starts, refreshes and readiness while ten sends hang, then the sends fail cleanly and their tokens work again', async () => {
    gateway.always({ kind: 'json', body: { id: 'msg-ok' } });
    const journeys = [];
    for (let i = 0; i < 10; i += 1) {
      const journey = await startJourney(t);
      const mfa = await (
        await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password')
      ).json();
      journeys.push({ journeyId: journey.journeyId, token: mfa.transactionToken as string });
    }
    const login = await completeLogin(t);
    const tokens = await (await exchangeCode(t, login)).json();

    // Longer than the adapter's timeout (short enough that no answer is still pending when the file ends).
    gateway.always({ kind: 'slow', ms: 4000, body: { id: 'never' } });
    let sendsSettled = 0;
    const sends = journeys.map((journey) =>
      postJson(t, `/journeys/${journey.journeyId}/sms-otp/send`, { transactionToken: journey.token }).finally(() => {
        sendsSettled += 1;
      }),
    );
    // All ten are at the gateway at once: none of them waits for a pooled connection.
    await until(() => gateway.requests.length >= 10, 'ten sends at the gateway');

    const [started, refreshed, ready] = await Promise.all([
      Promise.all(Array.from({ length: 3 }, () => startJourney(t))),
      refresh(t, tokens.refresh_token),
      fetch(`${t.baseUrl}/health/ready`),
    ]);
    expect(sendsSettled).toBe(0);
    expect(started.every((journey) => journey.body.status === 'PENDING')).toBe(true);
    expect(refreshed.status).toBe(200);
    expect(ready.status).toBe(200);

    const answers = await Promise.all(sends);
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(503));
    expect(answers.map((answer) => answer.headers.get('content-type'))).toEqual(
      Array(10).fill(expect.stringContaining('application/problem+json')),
    );
    const ids = journeys.map((journey) => journey.journeyId);
    // Nothing counted, every failure audited, every token back to pending with no claim left on it.
    expect(
      await t.dataSource.query(
        `SELECT count(*)::int AS n FROM sms_deliveries WHERE context_id = ANY($1::uuid[]) AND created_at > now() - interval '1 minute' AND provider_message_id IS NULL`,
        [ids],
      ),
    ).toEqual([{ n: 0 }]);
    expect(
      await t.dataSource.query(
        `SELECT count(*)::int AS n FROM audit_logs WHERE context_id = ANY($1::uuid[]) AND event_type = 'mfa.sms_send_failed'`,
        [ids],
      ),
    ).toEqual([{ n: 10 }]);
    expect(
      await t.dataSource.query(
        `SELECT status, claim_id FROM auth_transactions WHERE context_id = ANY($1::uuid[]) AND step = 'SMS_OTP' GROUP BY status, claim_id`,
        [ids],
      ),
    ).toEqual([{ status: 'PENDING', claim_id: null }]);

    gateway.always({ kind: 'json', body: { id: 'msg-back' } });
    const retried = await postJson(t, `/journeys/${journeys[0].journeyId}/sms-otp/send`, {
      transactionToken: journeys[0].token,
    });
    expect(retried.status).toBe(200);
  });
});
