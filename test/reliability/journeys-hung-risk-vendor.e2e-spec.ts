import { useTestApp } from '../support/app';
import { startJourney, submitPassword } from '../support/journeys';
import { completeLogin, exchangeCode, refresh, registerStandardClients } from '../support/oauth';
import { VendorServer } from '../support/vendor-server';
import { until } from '../support/until';

/**
 * The risk vendor (Transmit) is asked after the password passes, with no pooled connection held: a hung
 * vendor costs only the logins waiting on it, which fail closed (503) and keep their tokens.
 */
describe('reliability: a hung risk vendor does not starve the pool', () => {
  const vendor = new VendorServer();
  const env: Record<string, string> = {};
  beforeAll(async () => {
    await vendor.start();
    Object.assign(env, {
      DATABASE_POOL_SIZE: '3',
      RISK_PROVIDER: 'transmit',
      TRANSMIT_BASE_URL: vendor.url,
      TRANSMIT_API_TOKEN: 'vendor-api-token-123',
      RISK_TIMEOUT_MS: '1500',
    });
  });
  afterAll(() => vendor.stop());
  const t = useTestApp({ env }, registerStandardClients);
  const device = { device: { deviceId: 'device-1', data: { actionToken: 'action-token-abc' } } };

  it('serves other traffic while eight logins wait on the vendor; they answer 503 and their tokens work after', async () => {
    const journeys = await Promise.all(Array.from({ length: 8 }, () => startJourney(t, device)));
    const tokens = await (await exchangeCode(t, await completeLogin(t))).json();

    // Longer than RISK_TIMEOUT_MS, short enough that no answer is still pending when the file ends.
    vendor.always({ kind: 'slow', ms: 3000, body: { recommendation: { type: 'TRUST' } } });
    let settled = 0;
    const logins = journeys.map((journey) =>
      submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password').finally(() => {
        settled += 1;
      }),
    );
    await until(() => vendor.requests.length >= 8, 'eight logins at the risk vendor');
    const [started, refreshed] = await Promise.all([
      Promise.all(Array.from({ length: 3 }, () => startJourney(t))),
      refresh(t, tokens.refresh_token),
    ]);
    expect(settled).toBe(0);
    expect(started.every((journey) => journey.body.status === 'PENDING')).toBe(true);
    expect(refreshed.status).toBe(200);

    const answers = await Promise.all(logins);
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(503));
    expect(await answers[0].json()).toMatchObject({ type: 'urn:ciam:problem:dependency-unavailable' });
    const ids = journeys.map((journey) => journey.journeyId);
    expect(
      await t.dataSource.query(`SELECT count(*)::int AS n FROM drs_evaluations WHERE context_id = ANY($1::uuid[])`, [
        ids,
      ]),
    ).toEqual([{ n: 0 }]);
    expect(
      await t.dataSource.query(
        `SELECT count(*)::int AS n FROM audit_logs WHERE context_id = ANY($1::uuid[]) AND event_type = 'risk.unavailable'`,
        [ids],
      ),
    ).toEqual([{ n: 8 }]);
    expect(
      await t.dataSource.query(`SELECT count(*)::int AS n FROM sessions WHERE context_id = ANY($1::uuid[])`, [ids]),
    ).toEqual([{ n: 0 }]);
    expect(
      await t.dataSource.query(
        `SELECT status, claim_id FROM auth_transactions WHERE context_id = ANY($1::uuid[]) GROUP BY status, claim_id`,
        [ids],
      ),
    ).toEqual([{ status: 'PENDING', claim_id: null }]);

    vendor.always({ kind: 'json', body: { recommendation: { type: 'TRUST' }, risk_score: 5 } });
    const again = await submitPassword(
      t,
      journeys[0].journeyId,
      journeys[0].transactionToken,
      'alice',
      'alice-password',
    );
    expect(again.status).toBe(200);
    expect((await again.json()).status).toBe('COMPLETED');
  });
});
