import { DevicesRepository } from '../../src/devices/devices.repository';
import type { TestApp } from '../support/app';
import { useTestApp } from '../support/app';
import { TestDevice } from '../support/device';
import { postJson, startJourney, submitPassword } from '../support/journeys';
import { auditEvents, registerStandardClients } from '../support/oauth';
import { LDAP_CUSTOMERS, Slapd, startSlapd } from '../support/slapd';
import { VendorServer } from '../support/vendor-server';

/**
 * OWASP ASVS 5.0 V6.4 (authentication factor lifecycle) and NIST SP 800-63B §6.1.2.1: binding an
 * authenticator needs the factors already held; a password alone never creates a second factor. A
 * device bound without a second factor neither stands in for MFA nor approves a push, and a push
 * approval never vouches for the device that gave it. Against a real slapd, with the real http SMS and
 * push adapters talking to local gateways.
 */
describe('ASVS V6.4 / NIST 800-63B 6.1.2.1: factors are created only by factors', () => {
  let slapd: Slapd;
  const sms = new VendorServer();
  const push = new VendorServer();
  const env: Record<string, string> = {};
  beforeAll(async () => {
    // erin has no phone and no device: no second factor at all.
    slapd = await startSlapd([...LDAP_CUSTOMERS, { uid: 'erin', password: 'erin-password', cupid: 'CUPID-ERIN-0005' }]);
    await sms.start();
    await push.start();
    sms.always({ kind: 'json', body: { id: 'sms' } });
    push.always({ kind: 'json', body: { name: 'projects/x/messages/1' } });
    Object.assign(env, slapd.env, {
      SMS_PROVIDER: 'http',
      SMS_HTTP_URL: `${sms.url}/sms`,
      SMS_RECIPIENT_LIMIT_15M: '1000',
      SMS_RECIPIENT_LIMIT_24H: '1000',
      PUSH_PROVIDER: 'http',
      PUSH_HTTP_URL: `${push.url}/push`,
      PUSH_PROMPTS_PER_CUSTOMER_15M: '100',
    });
  });
  afterAll(async () => {
    await push.stop();
    await sms.stop();
    await slapd.stop();
  });
  const t = useTestApp({ env }, registerStandardClients);

  const step = (journeyId: string, path: string, body: Record<string, unknown>) =>
    postJson(t, `/journeys/${journeyId}/${path}`, body);
  const lastSmsCode = () => /(\d{6})/.exec(JSON.parse(sms.requests.at(-1)!.body).text)![1];
  const deviceRow = (device: TestDevice) =>
    t.dataSource
      .query(`SELECT id, bound_with_mfa, last_mfa_at FROM trusted_devices WHERE jwk_thumbprint = $1`, [
        device.thumbprint,
      ])
      .then((rows) => rows[0]);

  /** A device bound through the real repository, as a binding with (or, before this rule, without) a second factor left it. */
  async function boundDevice(
    t: TestApp,
    cupid: string,
    name: string,
    withMfa: boolean,
    pushAddress: string | null,
  ): Promise<TestDevice> {
    const device = await TestDevice.create();
    const journey = await startJourney(t);
    await t.app.get(DevicesRepository).insert(t.dataSource.manager, {
      cupid,
      publicKeyJwk: { kty: 'EC', crv: 'P-256', x: device.publicJwk.x, y: device.publicJwk.y },
      thumbprint: device.thumbprint,
      name,
      platform: 'android',
      pushAddress,
      contextId: journey.journeyId,
      at: new Date(),
      mfaAt: withMfa ? new Date() : null,
    });
    return device;
  }

  /** Takes a spec's devices out of the next specs' way (a revoked device is offered nothing). */
  const retire = (...devices: TestDevice[]) =>
    t.dataSource.query(
      `UPDATE trusted_devices SET status = 'REVOKED', revoked_at = now(), revoked_by = 'test', revoke_reason = 'spec done' WHERE jwk_thumbprint = ANY($1)`,
      [devices.map((device) => device.thumbprint)],
    );

  async function sendPush(journeyId: string, transactionToken: string) {
    const sent = await step(journeyId, 'push/send', { transactionToken });
    expect(sent.status).toBe(200);
    const waiting = await sent.json();
    const delivered = JSON.parse(push.requests.at(-1)!.body).message;
    return { waiting, pushChallengeId: delivered.data.pushChallengeId as string, pushedTo: delivered.token as string };
  }

  const answer = async (device: TestDevice, pushChallengeId: string, number: number) =>
    postJson(t, `/devices/push-challenges/${pushChallengeId}/response`, {
      decision: 'approve',
      number,
      signature: await device.sign({ pushChallengeId, number, decision: 'approve' }),
    });

  it('a password alone does not bind: the journey steps up to a second factor first, and the binding follows it', async () => {
    const phone = await TestDevice.create();
    const journey = await startJourney(t, { device: { deviceId: 'alice-phone', bind: true } });
    const stepUp = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password')
    ).json();
    expect(stepUp.nextStep.type).toBe('SMS_OTP');
    // The binding step cannot be reached with the password's token.
    const early = await step(journey.journeyId, 'device-bind', {
      transactionToken: stepUp.transactionToken,
      publicKey: phone.publicJwk,
      name: 'x',
      proof: await phone.sign({ challenge: 'x', journeyId: journey.journeyId }),
    });
    expect(early.status).toBe(409);
    expect(await deviceRow(phone)).toBeUndefined();

    const sent = await (
      await step(journey.journeyId, 'sms-otp/send', { transactionToken: stepUp.transactionToken })
    ).json();
    const bind = await (
      await step(journey.journeyId, 'sms-otp', { transactionToken: sent.transactionToken, code: lastSmsCode() })
    ).json();
    expect(bind.nextStep.type).toBe('DEVICE_BIND');
    const bound = await step(journey.journeyId, 'device-bind', {
      transactionToken: bind.transactionToken,
      publicKey: phone.publicJwk,
      name: 'Alice phone',
      proof: await phone.sign({ challenge: bind.nextStep.challenge, journeyId: journey.journeyId }),
    });
    expect(bound.status).toBe(200);
    expect(await deviceRow(phone)).toMatchObject({ bound_with_mfa: true, last_mfa_at: expect.any(Date) });
  });

  it('a customer with no second factor signs in, but the device stays unbound, and the audit trail says so', async () => {
    const journey = await startJourney(t, { device: { deviceId: 'erin-phone', bind: true } });
    const done = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, 'erin', 'erin-password')
    ).json();
    expect(done.status).toBe('COMPLETED');
    expect(
      await t.dataSource.query(`SELECT count(*)::int AS n FROM trusted_devices WHERE cupid = 'CUPID-ERIN-0005'`),
    ).toEqual([{ n: 0 }]);
    const [session] = await t.dataSource.query(`SELECT acr, trusted_device_id FROM sessions WHERE context_id = $1`, [
      journey.journeyId,
    ]);
    expect(session).toEqual({ acr: 'urn:ciam:loa:1', trusted_device_id: null });
    const [completed] = await auditEvents(t, { type: 'journey.completed', cupid: 'CUPID-ERIN-0005' });
    expect(completed.details).toMatchObject({ deviceBindingRefused: 'no second factor available' });
  });

  it('a device bound by a password alone cannot skip MFA, and is not offered for push', async () => {
    const inert = await boundDevice(t, 'CUPID-BOB-0002', 'Bob old phone', false, 'fcm-bob-old-phone');
    const journey = await startJourney(t, { device: { deviceId: 'bob-old-phone', keyThumbprint: inert.thumbprint } });
    const next = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password')
    ).json();
    expect(next.nextStep.type).toBe('SMS_OTP');
    expect(next.nextStep.options).toEqual([{ type: 'SMS_OTP', maskedPhone: expect.any(String) }]);
    // Nor by a forged proof step: DEVICE_PROOF is out of order for this journey.
    expect(
      (
        await step(journey.journeyId, 'device-proof', {
          transactionToken: next.transactionToken,
          proof: await inert.sign({ challenge: 'x', journeyId: journey.journeyId }),
        })
      ).status,
    ).toBe(409);
    await retire(inert);
  });

  it("a device bound by a password alone cannot approve a push sent to the customer's real device", async () => {
    const real = await boundDevice(t, 'CUPID-BOB-0002', 'Bob phone', true, 'fcm-bob-phone');
    const inert = await boundDevice(t, 'CUPID-BOB-0002', 'Attacker phone', false, 'fcm-attacker-phone');
    const journey = await startJourney(t, { device: { deviceId: 'bob-laptop' } });
    const mfa = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password')
    ).json();
    expect(mfa.nextStep.options).toEqual([
      { type: 'SMS_OTP', maskedPhone: expect.any(String) },
      { type: 'PUSH', devices: ['Bob phone'] },
    ]);
    const { waiting, pushChallengeId, pushedTo } = await sendPush(journey.journeyId, mfa.transactionToken);
    expect(pushedTo).toBe('fcm-bob-phone');
    expect(push.requests.some((request) => request.body.includes('fcm-attacker-phone'))).toBe(false);

    const forged = await answer(inert, pushChallengeId, waiting.nextStep.number);
    expect(forged.status).toBe(401);
    expect((await forged.json()).type).toBe('urn:ciam:problem:signature-rejected');
    const outcome = await step(journey.journeyId, 'push', { transactionToken: waiting.transactionToken });
    expect(outcome.status).toBe(403);
    expect(
      await t.dataSource.query(`SELECT count(*)::int AS n FROM sessions WHERE context_id = $1`, [journey.journeyId]),
    ).toEqual([{ n: 0 }]);
    const [answered] = (await auditEvents(t, { type: 'mfa.push_answered', cupid: 'CUPID-BOB-0002' })).slice(-1);
    expect(answered.details).toMatchObject({ accepted: false, deviceId: null });
    await retire(real, inert);
  });

  it('a push approval never renews the trust window of the device that gave it; an SMS code on it does', async () => {
    const phone = await boundDevice(t, 'CUPID-BOB-0002', 'Bob phone 2', true, 'fcm-bob-phone-2');
    await t.dataSource.query(
      `UPDATE trusted_devices SET last_mfa_at = now() - interval '31 days' WHERE jwk_thumbprint = $1`,
      [phone.thumbprint],
    );
    const stale = async () => (await deviceRow(phone)).last_mfa_at < new Date(Date.now() - 30 * 86_400_000);

    const journey = await startJourney(t, { device: { deviceId: 'bob-phone-2', keyThumbprint: phone.thumbprint } });
    const mfa = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password')
    ).json();
    expect(mfa.nextStep.options.map((option: { type: string }) => option.type)).toEqual(['SMS_OTP', 'PUSH']);
    const { waiting, pushChallengeId } = await sendPush(journey.journeyId, mfa.transactionToken);
    expect((await answer(phone, pushChallengeId, waiting.nextStep.number)).status).toBe(200);
    expect(
      (await (await step(journey.journeyId, 'push', { transactionToken: waiting.transactionToken })).json()).status,
    ).toBe('COMPLETED');
    expect(await stale()).toBe(true);
    // So the next sign-in from it still needs a full second factor...
    const again = await startJourney(t, { device: { deviceId: 'bob-phone-2', keyThumbprint: phone.thumbprint } });
    const next = await (await submitPassword(t, again.journeyId, again.transactionToken, 'bob', 'bob-password')).json();
    expect(next.nextStep.type).toBe('SMS_OTP');
    // ... and an SMS code passed on it is one.
    const sent = await (
      await step(again.journeyId, 'sms-otp/send', { transactionToken: next.transactionToken })
    ).json();
    expect(
      (
        await (
          await step(again.journeyId, 'sms-otp', { transactionToken: sent.transactionToken, code: lastSmsCode() })
        ).json()
      ).status,
    ).toBe('COMPLETED');
    expect(await stale()).toBe(false);
    await retire(phone);
  });

  it('a push approved by one device binds another, but a device cannot bind itself again with its own approval', async () => {
    const phone = await boundDevice(t, 'CUPID-BOB-0002', 'Bob phone 3', true, 'fcm-bob-phone-3');
    const before = (await deviceRow(phone)).last_mfa_at;

    const bindThrough = async (key: TestDevice) => {
      const journey = await startJourney(t, { device: { deviceId: 'bob-new', bind: true } });
      const mfa = await (
        await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password')
      ).json();
      const { waiting, pushChallengeId } = await sendPush(journey.journeyId, mfa.transactionToken);
      expect((await answer(phone, pushChallengeId, waiting.nextStep.number)).status).toBe(200);
      const bind = await (await step(journey.journeyId, 'push', { transactionToken: waiting.transactionToken })).json();
      expect(bind.nextStep.type).toBe('DEVICE_BIND');
      return step(journey.journeyId, 'device-bind', {
        transactionToken: bind.transactionToken,
        publicKey: key.publicJwk,
        name: 'Bob tablet',
        proof: await key.sign({ challenge: bind.nextStep.challenge, journeyId: journey.journeyId }),
      });
    };

    const tablet = await TestDevice.create();
    expect((await bindThrough(tablet)).status).toBe(200);
    expect(await deviceRow(tablet)).toMatchObject({ bound_with_mfa: true });

    const self = await bindThrough(phone);
    expect(self.status).toBe(403);
    expect((await self.json()).type).toBe('urn:ciam:problem:device-bind-needs-second-factor');
    expect((await deviceRow(phone)).last_mfa_at).toEqual(before);
    const refusals = await auditEvents(t, { type: 'device.bind_refused', cupid: 'CUPID-BOB-0002' });
    expect(refusals.at(-1)!.details).toMatchObject({
      thumbprint: phone.thumbprint,
      reason: 'no second factor in this journey',
    });
  });
});
