import { DevicesRepository } from '../../src/devices/devices.repository';
import { startTestApp, TestApp } from '../support/app';
import { TestClock } from '../support/clock';
import { createTestDatabase, TestDatabase } from '../support/database';
import { TestDevice } from '../support/device';
import { postJson, startJourney, submitPassword } from '../support/journeys';
import { auditEvents, registerStandardClients } from '../support/oauth';
import { LDAP_CUSTOMERS, Slapd, startSlapd } from '../support/slapd';
import { VendorServer } from '../support/vendor-server';
import { useWorkforceIdp } from '../support/workforce';

/**
 * OWASP ASVS 5.0 V6.3.1 / V6.6 (out-of-band and push authenticators: rate limits, push fatigue) and
 * NIST SP 800-63B §5.2.2, with the numbers of SECURITY-DEFAULTS.md: push prompts at most 3 per journey and
 * 5 per customer in 15 minutes, then the SMS code; 10 wrong one-time codes per customer in 24 hours lock
 * MFA for 15 minutes, visible to agents and lifted by them. Two instances on one database share every
 * counter; time moves by the injected clock.
 */
describe('ASVS V6.3.1 / V6.6: factor budgets, shared by every instance', () => {
  const workforce = useWorkforceIdp();
  let slapd: Slapd;
  const sms = new VendorServer();
  const push = new VendorServer();
  let database: TestDatabase;
  const clock = new TestClock();
  let one: TestApp;
  let two: TestApp;

  beforeAll(async () => {
    slapd = await startSlapd([
      ...LDAP_CUSTOMERS,
      {
        uid: 'frank',
        password: 'frank-password',
        cupid: 'CUPID-FRANK-0006',
        mobile: '+447700900006',
        mfaRequired: true,
      },
      { uid: 'gina', password: 'gina-password', cupid: 'CUPID-GINA-0007', mobile: '+447700900007', mfaRequired: true },
      { uid: 'hana', password: 'hana-password', cupid: 'CUPID-HANA-0008', mobile: '+447700900008', mfaRequired: true },
    ]);
    await sms.start();
    await push.start();
    sms.always({ kind: 'json', body: { id: 'sms' } });
    push.always({ kind: 'json', body: { name: 'projects/x/messages/1' } });
    const env = {
      ...slapd.env,
      ...workforce.env,
      SMS_PROVIDER: 'http',
      SMS_HTTP_URL: `${sms.url}/sms`,
      SMS_RECIPIENT_LIMIT_15M: '1000',
      SMS_RECIPIENT_LIMIT_24H: '10000',
      OTP_RESEND_COOLDOWN_SECONDS: '0',
      PUSH_PROVIDER: 'http',
      PUSH_HTTP_URL: `${push.url}/push`,
    };
    database = await createTestDatabase();
    one = await startTestApp({ database, env, clock });
    two = await startTestApp({ database, env, clock });
    await registerStandardClients(one);
  });
  afterAll(async () => {
    await one?.app.close();
    await two?.app.close();
    await database?.drop();
    await push.stop();
    await sms.stop();
    await slapd.stop();
  });
  afterEach(() => clock.reset());

  const step = (t: TestApp, journeyId: string, path: string, body: Record<string, unknown>) =>
    postJson(t, `/journeys/${journeyId}/${path}`, body);
  const lastSmsCode = () => /(\d{6})/.exec(JSON.parse(sms.requests.at(-1)!.body).text)![1];
  const pushesTo = (address: string) =>
    push.requests.filter((request) => JSON.parse(request.body).message.token === address).length;

  async function bindPhone(cupid: string, pushAddress: string): Promise<void> {
    const device = await TestDevice.create();
    const journey = await startJourney(one);
    await one.app.get(DevicesRepository).insert(one.dataSource.manager, {
      cupid,
      publicKeyJwk: { kty: 'EC', crv: 'P-256', x: device.publicJwk.x, y: device.publicJwk.y },
      thumbprint: device.thumbprint,
      name: 'Phone',
      platform: 'ios',
      pushAddress,
      contextId: journey.journeyId,
      at: new Date(),
      mfaAt: new Date(),
    });
  }

  /** A journey of `username` at the choice of second factors, on instance `t`. */
  async function atSecondFactor(t: TestApp, username: string) {
    const journey = await startJourney(t);
    const mfa = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, username, `${username}-password`)
    ).json();
    expect(mfa.nextStep.type).toBe('SMS_OTP');
    return {
      journeyId: journey.journeyId as string,
      token: mfa.transactionToken as string,
      options: mfa.nextStep.options as Array<{ type: string }>,
    };
  }

  it('a journey sends at most 3 push prompts; the 4th is 429 with Retry-After, and the same token does the SMS code instead', async () => {
    await bindPhone('CUPID-BOB-0002', 'fcm-bob-budget');
    const { journeyId, token } = await atSecondFactor(one, 'bob');
    let current = token;
    for (const [prompt, t] of [
      [1, one],
      [2, two],
      [3, one],
    ] as const) {
      const sent = await step(t, journeyId, 'push/send', { transactionToken: current });
      expect([prompt, sent.status]).toEqual([prompt, 200]);
      current = (await sent.json()).transactionToken;
      clock.advance(121);
      const expired = await step(t === one ? two : one, journeyId, 'push', { transactionToken: current });
      expect(expired.status).toBe(410);
    }
    const fourth = await step(two, journeyId, 'push/send', { transactionToken: current });
    expect(fourth.status).toBe(429);
    expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await fourth.json()).toMatchObject({
      type: 'urn:ciam:problem:push-limit-reached',
      alternatives: [{ type: 'SMS_OTP' }],
    });
    expect(pushesTo('fcm-bob-budget')).toBe(3);
    const [limited] = await auditEvents(one, { type: 'mfa.push_limited', cupid: 'CUPID-BOB-0002' });
    expect(limited.details).toMatchObject({ scope: 'journey', prompts: 3, limit: 3 });

    const sent = await step(one, journeyId, 'sms-otp/send', { transactionToken: current });
    expect(sent.status).toBe(200);
    const done = await (
      await step(two, journeyId, 'sms-otp', {
        transactionToken: (await sent.json()).transactionToken,
        code: lastSmsCode(),
      })
    ).json();
    expect(done.status).toBe('COMPLETED');
  });

  it('a customer gets at most 5 push prompts in 15 minutes across journeys and instances; then 429 and the SMS code; the window passes', async () => {
    await bindPhone('CUPID-FRANK-0006', 'fcm-frank');
    for (let i = 0; i < 5; i += 1) {
      const t = i % 2 ? two : one;
      const { journeyId, token } = await atSecondFactor(t, 'frank');
      expect((await step(t, journeyId, 'push/send', { transactionToken: token })).status).toBe(200);
    }
    const sixth = await atSecondFactor(two, 'frank');
    const refused = await step(two, sixth.journeyId, 'push/send', { transactionToken: sixth.token });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(900);
    expect(await refused.json()).toMatchObject({
      type: 'urn:ciam:problem:push-limit-reached',
      alternatives: [{ type: 'SMS_OTP' }],
    });
    expect(pushesTo('fcm-frank')).toBe(5);
    expect((await step(one, sixth.journeyId, 'sms-otp/send', { transactionToken: sixth.token })).status).toBe(200);
    const [limited] = await auditEvents(one, { type: 'mfa.push_limited', cupid: 'CUPID-FRANK-0006' });
    expect(limited.details).toMatchObject({ scope: 'customer', prompts: 5, limit: 5 });

    clock.advance(901);
    const later = await atSecondFactor(one, 'frank');
    expect((await step(one, later.journeyId, 'push/send', { transactionToken: later.token })).status).toBe(200);
  });

  it('8 concurrent push prompts to one customer on two instances: exactly 5 are sent, 3 are refused with 429', async () => {
    await bindPhone('CUPID-HANA-0008', 'fcm-hana');
    const journeys = [];
    for (let i = 0; i < 8; i += 1)
      journeys.push({ t: i % 2 ? two : one, ...(await atSecondFactor(i % 2 ? two : one, 'hana')) });
    const statuses = await Promise.all(
      journeys.map(
        async ({ t, journeyId, token }) => (await step(t, journeyId, 'push/send', { transactionToken: token })).status,
      ),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(3);
    expect(pushesTo('fcm-hana')).toBe(5);
    expect(
      await one.dataSource.query(`SELECT count(*)::int AS n FROM push_prompts WHERE cupid = 'CUPID-HANA-0008'`),
    ).toEqual([{ n: 5 }]);
  });

  it('10 wrong codes across journeys and instances lock MFA for 15 minutes: refused unchecked, audited, seen and lifted by an agent', async () => {
    const agent = { authorization: `Bearer ${await workforce.idp.token()}` };
    const mfaOf = (t: TestApp) =>
      fetch(
        `${t.baseUrl}/agent/customers/CUPID-GINA-0007/mfa?reason=${encodeURIComponent('Customer says codes fail (INC-1)')}`,
        { headers: agent },
      );
    const wrongCodes = async (t: TestApp, journeyId: string, token: string, count: number) => {
      const statuses: number[] = [];
      const right = lastSmsCode();
      for (let i = 0; i < count; i += 1) {
        const response = await step(t, journeyId, 'sms-otp', {
          transactionToken: token,
          code: right === '000000' ? '111111' : '000000',
        });
        statuses.push(response.status);
        if (response.status === 429)
          return { statuses, retryAfter: Number(response.headers.get('retry-after')), body: await response.json() };
      }
      return { statuses };
    };
    const withCode = async (t: TestApp) => {
      const { journeyId, token } = await atSecondFactor(t, 'gina');
      const sent = await step(t, journeyId, 'sms-otp/send', { transactionToken: token });
      expect(sent.status).toBe(200);
      return { journeyId, token: (await sent.json()).transactionToken as string };
    };

    const first = await withCode(one);
    expect((await wrongCodes(one, first.journeyId, first.token, 4)).statuses).toEqual([401, 401, 401, 401]);
    const second = await withCode(two);
    expect((await wrongCodes(two, second.journeyId, second.token, 4)).statuses).toEqual([401, 401, 401, 401]);
    const third = await withCode(one);
    const locking = await wrongCodes(two, third.journeyId, third.token, 2);
    expect(locking.statuses).toEqual([401, 429]);
    expect(locking.retryAfter).toBe(900);
    expect(locking.body).toMatchObject({ type: 'urn:ciam:problem:mfa-locked' });

    // While locked, even the right code is refused without being checked, and no new code is sent.
    const right = await step(one, third.journeyId, 'sms-otp', { transactionToken: third.token, code: lastSmsCode() });
    expect(right.status).toBe(429);
    const fourth = await atSecondFactor(two, 'gina');
    const smsBefore = sms.requests.length;
    const send = await step(two, fourth.journeyId, 'sms-otp/send', { transactionToken: fourth.token });
    expect(send.status).toBe(429);
    expect(Number(send.headers.get('retry-after'))).toBeGreaterThan(800);
    expect(sms.requests.length).toBe(smsBefore);

    const [locked] = await auditEvents(one, { type: 'mfa.locked', cupid: 'CUPID-GINA-0007' });
    expect(locked).toMatchObject({ actor_type: 'SYSTEM', details: { failures: 10, windowSeconds: 86400 } });
    expect(
      (await auditEvents(one, { type: 'mfa.refused_locked', cupid: 'CUPID-GINA-0007' })).map((event) => event.details),
    ).toEqual([
      expect.objectContaining({ step: 'SMS_OTP', action: 'verify' }),
      expect.objectContaining({ step: 'SMS_OTP', action: 'send' }),
    ]);
    const seen = await mfaOf(two);
    expect(seen.status).toBe(200);
    expect(await seen.json()).toMatchObject({
      cupid: 'CUPID-GINA-0007',
      locked: true,
      failuresInWindow: 10,
      limit: 10,
      lockedUntil: expect.any(String),
    });

    // A locked MFA leaves the journey waiting: the same token may send a code once the lock has passed.
    expect(await one.dataSource.query(`SELECT status FROM auth_contexts WHERE id = $1`, [fourth.journeyId])).toEqual([
      { status: 'PENDING' },
    ]);
    clock.advance(240);
    expect((await step(one, fourth.journeyId, 'sms-otp/send', { transactionToken: fourth.token })).status).toBe(429);
    // After 15 minutes the lock has passed: a code is sent and the right one gets through.
    clock.advance(661);
    const afterLock = await withCode(one);
    expect(
      (
        await (
          await step(two, afterLock.journeyId, 'sms-otp', { transactionToken: afterLock.token, code: lastSmsCode() })
        ).json()
      ).status,
    ).toBe('COMPLETED');

    // The window still holds 10 wrong codes: the next wrong one locks again, until an agent lifts it.
    const fifth = await withCode(one);
    expect((await wrongCodes(one, fifth.journeyId, fifth.token, 1)).statuses).toEqual([429]);
    const unauthenticated = await fetch(`${one.baseUrl}/agent/customers/CUPID-GINA-0007/mfa/unlock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'no token' }),
    });
    expect(unauthenticated.status).toBe(401);
    const noReason = await postJson(one, '/agent/customers/CUPID-GINA-0007/mfa/unlock', {}, agent);
    expect(noReason.status).toBe(400);
    const unlocked = await postJson(
      one,
      '/agent/customers/CUPID-GINA-0007/mfa/unlock',
      { reason: 'Identity verified on the phone (INC-1)' },
      agent,
    );
    expect(unlocked.status).toBe(200);
    expect(await unlocked.json()).toMatchObject({ locked: false, failuresInWindow: 0, clearedBy: 'AGENT:agent-007' });
    const [unlockEvent] = await auditEvents(one, { type: 'mfa.unlocked', cupid: 'CUPID-GINA-0007' });
    expect(unlockEvent).toMatchObject({
      actor_type: 'AGENT',
      actor_id: 'agent-007',
      details: { reason: 'Identity verified on the phone (INC-1)', wasLocked: true },
    });
    const [viewed] = await auditEvents(one, { type: 'agent.viewed', cupid: 'CUPID-GINA-0007' });
    expect(viewed.details).toMatchObject({ what: 'mfa' });

    const done = await (
      await step(two, fifth.journeyId, 'sms-otp', { transactionToken: fifth.token, code: lastSmsCode() })
    ).json();
    expect(done.status).toBe('COMPLETED');
  });
});
