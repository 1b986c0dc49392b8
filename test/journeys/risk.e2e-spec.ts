import { startTestApp, TestApp, useTestApp } from '../support/app';
import { startJourney, submitPassword } from '../support/journeys';
import { auditEvents, registerStandardClients } from '../support/oauth';
import { VendorServer } from '../support/vendor-server';

async function login(
  t: TestApp,
  username = 'alice',
  password = 'alice-password',
  device: Record<string, unknown> = { deviceId: 'device-1', data: {} },
) {
  const journey = await startJourney(t, { device });
  const response = await submitPassword(t, journey.journeyId, journey.transactionToken, username, password);
  return { journey, response, body: await response.json() };
}

const evaluation = async (t: TestApp, contextId: string) =>
  (
    await t.dataSource.query(
      `SELECT recommendation, score, reasons, provider, raw_response, latency_ms FROM drs_evaluations WHERE context_id = $1`,
      [contextId],
    )
  )[0];

/** The built-in rules, from outside the bank's trusted networks. */
describe('risk: built-in rules', () => {
  const t = useTestApp({ env: { TRUSTED_NETWORKS: '' } }, registerStandardClients);

  it('asks for a second factor on a new network and an unknown device', async () => {
    const { journey, response, body } = await login(t);
    const risk = await evaluation(t, journey.journeyId);
    expect(risk).toMatchObject({
      recommendation: 'CHALLENGE',
      score: 60,
      reasons: ['unknown_device', 'new_network'],
      provider: 'builtin',
    });
    expect(response.status).toBe(200);
    expect(body).toMatchObject({
      status: 'PENDING',
      nextStep: { type: 'SMS_OTP', options: [{ type: 'SMS_OTP', maskedPhone: '+44•••••001' }] },
    });
    const [event] = await auditEvents(t, { type: 'risk.evaluated', cupid: 'CUPID-ALICE-0001' });
    expect(event.details).toMatchObject({ recommendation: 'CHALLENGE', score: 60, provider: 'builtin' });
  });

  it('denies after a burst of failures from a new network and device, and ends the journey with 403', async () => {
    const journey = await startJourney(t, { device: { deviceId: 'device-x' } });
    let token = journey.transactionToken;
    for (let i = 0; i < 3; i += 1)
      token = (await (await submitPassword(t, journey.journeyId, token, 'bob', 'wrong')).json()).transactionToken;
    const response = await submitPassword(t, journey.journeyId, token, 'bob', 'bob-password');
    expect(response.status).toBe(403);
    expect((await response.json()).type).toBe('urn:ciam:problem:access-denied');
    expect(await evaluation(t, journey.journeyId)).toMatchObject({
      recommendation: 'DENY',
      reasons: ['unknown_device', 'new_network', 'account_failures'],
    });
    expect(
      (await t.dataSource.query(`SELECT status FROM auth_contexts WHERE id = $1`, [journey.journeyId]))[0].status,
    ).toBe('FAILED');
  });
});

/** The vendor adapter against a local server that answers in Transmit's shape. */
describe('risk: transmit adapter', () => {
  const vendor = new VendorServer();
  const env: Record<string, string> = {};
  beforeAll(async () => {
    await vendor.start();
    Object.assign(env, {
      RISK_PROVIDER: 'transmit',
      TRANSMIT_BASE_URL: vendor.url,
      TRANSMIT_API_TOKEN: 'vendor-api-token-123',
      RISK_TIMEOUT_MS: '300',
    });
  });
  afterAll(() => vendor.stop());
  const t = useTestApp({ env }, registerStandardClients);
  const withToken = { deviceId: 'device-1', data: { actionToken: 'action-token-abc' } };

  it('asks the vendor with the action token and follows an ALLOW (TRUST counts as ALLOW)', async () => {
    vendor.next({
      kind: 'json',
      body: {
        id: 'rec-1',
        issued_at: 1,
        recommendation: { type: 'TRUST' },
        risk_score: 12.4,
        reasons: ['known_device'],
      },
    });
    const { journey, response } = await login(t, 'alice', 'alice-password', withToken);
    expect(response.status).toBe(200);
    const request = vendor.requests.at(-1)!;
    expect(request.url).toBe('/risk/v1/recommendation?action_token=action-token-abc');
    expect(request.headers.authorization).toBe('Bearer vendor-api-token-123');
    expect(await evaluation(t, journey.journeyId)).toMatchObject({
      recommendation: 'ALLOW',
      score: 12,
      reasons: ['known_device'],
      provider: 'transmit',
      raw_response: expect.objectContaining({ id: 'rec-1' }),
    });
    const events = await auditEvents(t, { type: 'risk.evaluated', contextId: journey.journeyId });
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events)).not.toContain('vendor-api-token-123');
  });

  it('ends the journey on DENY', async () => {
    vendor.next({ kind: 'json', body: { recommendation: { type: 'DENY' }, risk_score: 97, reasons: ['bot'] } });
    const { response } = await login(t, 'alice', 'alice-password', withToken);
    expect(response.status).toBe(403);
  });

  it('asks for a second factor without an action token, without calling the vendor', async () => {
    const before = vendor.requests.length;
    const { journey } = await login(t, 'alice', 'alice-password', { deviceId: 'd' });
    expect(vendor.requests.length).toBe(before);
    expect(await evaluation(t, journey.journeyId)).toMatchObject({
      recommendation: 'CHALLENGE',
      reasons: ['no_action_token'],
    });
  });

  it.each([
    ['a timeout', { kind: 'slow', ms: 1000, body: { recommendation: { type: 'ALLOW' } } }],
    ['a 5xx', { kind: 'status', status: 502 }],
    ['a dropped connection', { kind: 'hangup' }],
    ['an answer it cannot read', { kind: 'json', body: { recommendation: { type: 'MAYBE' } } }],
  ] as const)(
    'fails closed (503) on %s, leaving the token usable and nothing half-written',
    async (_name, behaviour) => {
      vendor.next(behaviour);
      const journey = await startJourney(t, { device: withToken });
      const response = await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password');
      expect(response.status).toBe(503);
      expect((await response.json()).type).toBe('urn:ciam:problem:dependency-unavailable');
      expect(
        await t.dataSource.query(`SELECT status FROM auth_transactions WHERE context_id = $1`, [journey.journeyId]),
      ).toEqual([{ status: 'PENDING' }]);
      expect(
        await t.dataSource.query(`SELECT count(*)::int AS n FROM drs_evaluations WHERE context_id = $1`, [
          journey.journeyId,
        ]),
      ).toEqual([{ n: 0 }]);
      expect(
        await t.dataSource.query(`SELECT count(*)::int AS n FROM sessions WHERE context_id = $1`, [journey.journeyId]),
      ).toEqual([{ n: 0 }]);
      expect(await auditEvents(t, { type: 'risk.unavailable', contextId: journey.journeyId })).toHaveLength(1);

      vendor.next({ kind: 'json', body: { recommendation: { type: 'ALLOW' }, risk_score: 1 } });
      const retry = await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password');
      expect(retry.status).toBe(200);
    },
  );

  it('asks for a second factor instead when configured to fail open to a challenge', async () => {
    const lenient = await startTestApp({ env: { ...env, RISK_FAIL_OPEN_TO_CHALLENGE: 'true' } });
    try {
      await registerStandardClients(lenient);
      vendor.next({ kind: 'status', status: 503 });
      const { journey } = await login(lenient, 'alice', 'alice-password', withToken);
      expect(await evaluation(lenient, journey.journeyId)).toMatchObject({
        recommendation: 'CHALLENGE',
        reasons: ['risk_service_unavailable'],
        provider: 'transmit',
      });
    } finally {
      await lenient.close();
    }
  });
});
