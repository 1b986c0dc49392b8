import { createHash, randomBytes } from 'node:crypto';
import { EsignRepository } from '../../src/esign/esign.repository';
import { useTestApp } from '../support/app';
import { TestDevice } from '../support/device';
import { newLoginFailures } from '../support/factories';
import { journeyStep, postJson, startJourney, submitPassword } from '../support/journeys';
import { registerStandardClients } from '../support/oauth';
import { Slapd, startSlapd } from '../support/slapd';
import { VendorServer } from '../support/vendor-server';

const TERMS = 'Terms and conditions, version 2026-11. You agree to ...';
const TERMS_SHA256 = createHash('sha256').update(TERMS).digest('hex');

/**
 * Scenarios 5, 8 and 4 (SCENARIOS.md) against a real slapd, with the real http adapters talking to local
 * SMS and push gateways: bind a device after MFA and eSign; log in again from it without MFA; approve a
 * push from it; and every failure case around them.
 */
describe('trusted devices, eSign and push', () => {
  let slapd: Slapd;
  const sms = new VendorServer();
  const push = new VendorServer();
  const env: Record<string, string> = {};
  beforeAll(async () => {
    slapd = await startSlapd();
    await sms.start();
    await push.start();
    sms.always({ kind: 'json', body: { id: 'sms' } });
    push.always({ kind: 'json', body: { name: 'projects/x/messages/1' } });
    Object.assign(env, slapd.env, {
      SMS_PROVIDER: 'http',
      SMS_HTTP_URL: `${sms.url}/sms`,
      SMS_RECIPIENT_LIMIT_15M: '1000',
      SMS_RECIPIENT_LIMIT_24H: '1000',
      PUSH_PROMPTS_PER_CUSTOMER_15M: '100',
      PUSH_PROVIDER: 'http',
      PUSH_HTTP_URL: `${push.url}/push`,
      PUSH_HTTP_AUTH_HEADER: 'Authorization: Bearer push-key',
    });
  });
  afterAll(async () => {
    await push.stop();
    await sms.stop();
    await slapd.stop();
  });
  const t = useTestApp({ env }, async (app) => {
    await registerStandardClients(app);
    await app.app.get(EsignRepository).publish({
      documentId: 'terms',
      version: '2026-11',
      title: 'Terms and conditions',
      url: 'https://bank.example/terms/2026-11',
      sha256: TERMS_SHA256,
    });
  });

  let phone: TestDevice;
  let phoneId: string;

  const step = journeyStep;
  const lastSmsCode = () => /(\d{6})/.exec(JSON.parse(sms.requests.at(-1)!.body).text)![1];

  /** bob: password, then the SMS code: returns the response after MFA. */
  async function bobThroughSms(device: Record<string, unknown>) {
    const journey = await startJourney(t, { device });
    const mfa = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password')
    ).json();
    expect(mfa.nextStep.type).toBe('SMS_OTP');
    const sent = await (
      await step(t, journey.journeyId, 'sms-otp/send', { transactionToken: mfa.transactionToken })
    ).json();
    const response = await step(t, journey.journeyId, 'sms-otp', {
      transactionToken: sent.transactionToken,
      code: lastSmsCode(),
    });
    return { journey, response };
  }

  it('scenario 5: MFA, then eSign, then device binding; tokens only after all of them, in order', async () => {
    phone = await TestDevice.create();
    const { journey, response } = await bobThroughSms({
      deviceId: 'bob-phone',
      bind: true,
      data: { platform: 'android' },
    });
    const esign = await response.json();
    expect(esign).toMatchObject({
      status: 'PENDING',
      nextStep: {
        type: 'ESIGN',
        document: {
          documentId: 'terms',
          version: '2026-11',
          title: 'Terms and conditions',
          sha256: TERMS_SHA256,
          url: expect.any(String),
        },
      },
    });

    const mismatched = await step(t, journey.journeyId, 'esign', {
      transactionToken: esign.transactionToken,
      documentId: 'terms',
      version: '2026-11',
      sha256: 'a'.repeat(64),
      accept: true,
    });
    expect(mismatched.status).toBe(409);
    const signed = await step(t, journey.journeyId, 'esign', {
      transactionToken: esign.transactionToken,
      documentId: 'terms',
      version: '2026-11',
      sha256: TERMS_SHA256,
      accept: true,
    });
    expect(signed.status).toBe(200);
    const bind = await signed.json();
    expect(bind).toMatchObject({
      status: 'PENDING',
      nextStep: { type: 'DEVICE_BIND', challenge: expect.any(String), alg: 'ES256' },
    });

    const wrongProof = await step(t, journey.journeyId, 'device-bind', {
      transactionToken: bind.transactionToken,
      publicKey: phone.publicJwk,
      name: 'Bob phone',
      proof: await phone.sign({ challenge: 'not-the-challenge', journeyId: journey.journeyId }),
    });
    expect(wrongProof.status).toBe(400);
    expect((await wrongProof.json()).type).toBe('urn:ciam:problem:device-proof-invalid');
    const bound = await step(t, journey.journeyId, 'device-bind', {
      transactionToken: bind.transactionToken,
      publicKey: phone.publicJwk,
      name: 'Bob phone',
      platform: 'android',
      pushAddress: 'fcm-token-bob-phone',
      proof: await phone.sign({ challenge: bind.nextStep.challenge, journeyId: journey.journeyId }),
    });
    expect(bound.status).toBe(200);
    expect(await bound.json()).toMatchObject({ status: 'COMPLETED', authorizationCode: expect.any(String) });

    const [device] = await t.dataSource.query(
      `SELECT id, cupid, jwk_thumbprint, name, platform, push_address, status, public_key_jwk, bound_context_id FROM trusted_devices WHERE jwk_thumbprint = $1`,
      [phone.thumbprint],
    );
    expect(device).toMatchObject({
      cupid: 'CUPID-BOB-0002',
      name: 'Bob phone',
      platform: 'android',
      push_address: 'fcm-token-bob-phone',
      status: 'ACTIVE',
      bound_context_id: journey.journeyId,
    });
    expect(device.public_key_jwk).toEqual({ kty: 'EC', crv: 'P-256', x: phone.publicJwk.x, y: phone.publicJwk.y });
    phoneId = device.id;
    const [signature] = await t.dataSource.query(
      `SELECT cupid, document_id, version, sha256, host(ip_address) AS ip, device_id, context_id FROM esign_signatures`,
    );
    expect(signature).toEqual({
      cupid: 'CUPID-BOB-0002',
      document_id: 'terms',
      version: '2026-11',
      sha256: TERMS_SHA256,
      ip: '127.0.0.1',
      device_id: 'bob-phone',
      context_id: journey.journeyId,
    });
    const [session] = await t.dataSource.query(
      `SELECT amr, acr, trusted_device_id FROM sessions WHERE context_id = $1`,
      [journey.journeyId],
    );
    expect(session).toEqual({ amr: ['pwd', 'otp', 'sms'], acr: 'urn:ciam:loa:2', trusted_device_id: phoneId });

    const events = (
      await t.dataSource.query(`SELECT event_type FROM audit_logs WHERE context_id = $1 ORDER BY created_at`, [
        journey.journeyId,
      ])
    ).map((row: { event_type: string }) => row.event_type);
    expect(
      events.filter((event: string) =>
        ['mfa.otp_verified', 'esign.signed', 'device.bound', 'session.created'].includes(event),
      ),
    ).toEqual(['mfa.otp_verified', 'esign.signed', 'device.bound', 'session.created']);
    const [evidence] = await t.dataSource.query(`SELECT details FROM audit_logs WHERE event_type = 'esign.signed'`);
    expect(evidence.details).toMatchObject({
      documentId: 'terms',
      version: '2026-11',
      sha256: TERMS_SHA256,
      deviceId: 'bob-phone',
      ip: '127.0.0.1',
      accepted: true,
    });
  });

  it('scenario 8: logging in again from the bound device skips MFA (amr shows the device key), and last use is recorded', async () => {
    const journey = await startJourney(t, { device: { deviceId: 'bob-phone', keyThumbprint: phone.thumbprint } });
    const proof = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password')
    ).json();
    expect(proof).toMatchObject({
      status: 'PENDING',
      nextStep: { type: 'DEVICE_PROOF', challenge: expect.any(String) },
    });
    const done = await step(t, journey.journeyId, 'device-proof', {
      transactionToken: proof.transactionToken,
      proof: await phone.sign({ challenge: proof.nextStep.challenge, journeyId: journey.journeyId }),
    });
    expect(done.status).toBe(200);
    expect((await done.json()).status).toBe('COMPLETED');
    const [session] = await t.dataSource.query(
      `SELECT amr, acr, trusted_device_id FROM sessions WHERE context_id = $1`,
      [journey.journeyId],
    );
    expect(session).toEqual({ amr: ['pwd', 'swk'], acr: 'urn:ciam:loa:2', trusted_device_id: phoneId });
    const [device] = await t.dataSource.query(
      `SELECT last_used_at > now() - interval '1 minute' AS recent FROM trusted_devices WHERE id = $1`,
      [phoneId],
    );
    expect(device.recent).toBe(true);
  });

  it('scenario 8: the MFA skip lasts 30 days from the last second factor on the device; MFA on it renews the window', async () => {
    await t.dataSource.query(`UPDATE trusted_devices SET last_mfa_at = now() - interval '31 days' WHERE id = $1`, [
      phoneId,
    ]);
    const stale = await startJourney(t, { device: { deviceId: 'bob-phone', keyThumbprint: phone.thumbprint } });
    const next = await (await submitPassword(t, stale.journeyId, stale.transactionToken, 'bob', 'bob-password')).json();
    expect(next.nextStep.type).toBe('SMS_OTP');
    const sent = await (
      await step(t, stale.journeyId, 'sms-otp/send', { transactionToken: next.transactionToken })
    ).json();
    expect(
      (
        await (
          await step(t, stale.journeyId, 'sms-otp', { transactionToken: sent.transactionToken, code: lastSmsCode() })
        ).json()
      ).status,
    ).toBe('COMPLETED');
    const [device] = await t.dataSource.query(
      `SELECT last_mfa_at > now() - interval '1 minute' AS renewed FROM trusted_devices WHERE id = $1`,
      [phoneId],
    );
    expect(device.renewed).toBe(true);
    const again = await startJourney(t, { device: { deviceId: 'bob-phone', keyThumbprint: phone.thumbprint } });
    expect(
      (await (await submitPassword(t, again.journeyId, again.transactionToken, 'bob', 'bob-password')).json()).nextStep
        .type,
    ).toBe('DEVICE_PROOF');
  });

  it.each([
    [
      'a signature by another key',
      async (challenge: string, journeyId: string) => (await TestDevice.create()).sign({ challenge, journeyId }),
    ],
    [
      'a reused proof for an earlier challenge',
      async (_challenge: string, journeyId: string) => phone.sign({ challenge: 'an-earlier-challenge', journeyId }),
    ],
  ])('scenario 8: %s brings MFA back', async (_name, forge) => {
    const journey = await startJourney(t, { device: { deviceId: 'bob-phone', keyThumbprint: phone.thumbprint } });
    const proof = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password')
    ).json();
    const response = await step(t, journey.journeyId, 'device-proof', {
      transactionToken: proof.transactionToken,
      proof: await forge(proof.nextStep.challenge, journey.journeyId),
    });
    expect(response.status).toBe(200);
    expect((await response.json()).nextStep.type).toBe('SMS_OTP');
    expect(
      (
        await t.dataSource.query(
          `SELECT details FROM audit_logs WHERE event_type = 'device.proof_rejected' AND context_id = $1`,
          [journey.journeyId],
        )
      ).length,
    ).toBe(1);
  });

  it('scenario 8: a stale challenge brings MFA back', async () => {
    const journey = await startJourney(t, { device: { deviceId: 'bob-phone', keyThumbprint: phone.thumbprint } });
    const proof = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password')
    ).json();
    t.clock.advance(61);
    const response = await step(t, journey.journeyId, 'device-proof', {
      transactionToken: proof.transactionToken,
      proof: await phone.sign({ challenge: proof.nextStep.challenge, journeyId: journey.journeyId }),
    });
    expect((await response.json()).nextStep.type).toBe('SMS_OTP');
  });

  it('scenario 8: a DRS CHALLENGE brings MFA back even from the bound device', async () => {
    await newLoginFailures(t.dataSource, 'customer:CUPID-BOB-0002', 3);
    const journey = await startJourney(t, { device: { deviceId: 'bob-phone', keyThumbprint: phone.thumbprint } });
    const next = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password')
    ).json();
    expect(next.nextStep.type).toBe('SMS_OTP');
    expect(
      await t.dataSource.query(`SELECT recommendation FROM drs_evaluations WHERE context_id = $1`, [journey.journeyId]),
    ).toEqual([{ recommendation: 'CHALLENGE' }]);
  });

  it("scenario 8: another customer's device is not asked to prove anything: MFA is required", async () => {
    // alice binds her own device, bob claims it.
    const alicePhone = await TestDevice.create();
    const aliceJourney = await startJourney(t, { device: { deviceId: 'alice-phone', bind: true } });
    // Binding needs a second factor in the same journey, even where alice's sign-in alone would not.
    const stepUp = await (
      await submitPassword(t, aliceJourney.journeyId, aliceJourney.transactionToken, 'alice', 'alice-password')
    ).json();
    expect(stepUp.nextStep.type).toBe('SMS_OTP');
    const aliceSent = await (
      await step(t, aliceJourney.journeyId, 'sms-otp/send', { transactionToken: stepUp.transactionToken })
    ).json();
    const terms = await (
      await step(t, aliceJourney.journeyId, 'sms-otp', {
        transactionToken: aliceSent.transactionToken,
        code: lastSmsCode(),
      })
    ).json();
    expect(terms.nextStep.type).toBe('ESIGN');
    const bind = await (
      await step(t, aliceJourney.journeyId, 'esign', {
        transactionToken: terms.transactionToken,
        documentId: 'terms',
        version: '2026-11',
        sha256: TERMS_SHA256,
        accept: true,
      })
    ).json();
    expect(bind.nextStep.type).toBe('DEVICE_BIND');
    expect(
      (
        await step(t, aliceJourney.journeyId, 'device-bind', {
          transactionToken: bind.transactionToken,
          publicKey: alicePhone.publicJwk,
          name: 'Alice phone',
          proof: await alicePhone.sign({ challenge: bind.nextStep.challenge, journeyId: aliceJourney.journeyId }),
        })
      ).status,
    ).toBe(200);

    const journey = await startJourney(t, { device: { deviceId: 'bob-phone', keyThumbprint: alicePhone.thumbprint } });
    const next = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password')
    ).json();
    expect(next.nextStep.type).toBe('SMS_OTP');

    // And the key cannot be bound to bob either.
    const sent = await bobThroughSms({ deviceId: 'x', bind: true });
    const bobBind = await sent.response.json();
    expect(bobBind.nextStep.type).toBe('DEVICE_BIND');
    const refused = await step(t, sent.journey.journeyId, 'device-bind', {
      transactionToken: bobBind.transactionToken,
      publicKey: alicePhone.publicJwk,
      name: 'stolen',
      proof: await alicePhone.sign({ challenge: bobBind.nextStep.challenge, journeyId: sent.journey.journeyId }),
    });
    expect(refused.status).toBe(409);
    expect((await refused.json()).type).toBe('urn:ciam:problem:device-key-in-use');
  });

  it('declining a document ends the journey', async () => {
    await t.app.get(EsignRepository).publish({
      documentId: 'privacy',
      version: '1',
      title: 'Privacy notice',
      url: 'https://bank.example/privacy/1',
      sha256: 'b'.repeat(64),
    });
    const journey = await startJourney(t);
    const next = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password')
    ).json();
    expect(next.nextStep).toMatchObject({ type: 'ESIGN', document: { documentId: 'privacy' } });
    const declined = await step(t, journey.journeyId, 'esign', {
      transactionToken: next.transactionToken,
      documentId: 'privacy',
      version: '1',
      sha256: 'b'.repeat(64),
      accept: false,
    });
    expect(declined.status).toBe(403);
    expect((await declined.json()).type).toBe('urn:ciam:problem:esign-declined');
    expect(await t.dataSource.query(`SELECT status FROM auth_contexts WHERE id = $1`, [journey.journeyId])).toEqual([
      { status: 'FAILED' },
    ]);
    await t.dataSource.query(`UPDATE esign_documents SET active = false WHERE document_id = 'privacy'`);
  });

  /** bob after his password: the options include push to the bound phone. */
  async function bobAtPush() {
    const journey = await startJourney(t, { device: { deviceId: 'bob-laptop' } });
    const mfa = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password')
    ).json();
    expect(mfa.nextStep.options).toEqual([
      { type: 'SMS_OTP', maskedPhone: '+44•••••002' },
      { type: 'PUSH', devices: ['Bob phone'] },
    ]);
    const sent = await step(t, journey.journeyId, 'push/send', { transactionToken: mfa.transactionToken });
    expect(sent.status).toBe(200);
    const waiting = await sent.json();
    expect(waiting.nextStep).toMatchObject({
      type: 'PUSH',
      phase: 'WAITING',
      number: expect.any(Number),
      expiresAt: expect.any(String),
    });
    const delivered = JSON.parse(push.requests.at(-1)!.body);
    expect(push.requests.at(-1)!.headers.authorization).toBe('Bearer push-key');
    expect(delivered.message).toMatchObject({
      token: 'fcm-token-bob-phone',
      data: { type: 'login-approval', journeyId: journey.journeyId },
    });
    // The number to match is shown at sign-in only; the push carries nothing the device could just echo.
    expect(Object.keys(delivered.message.data).sort()).toEqual([
      'clientName',
      'expiresAt',
      'ip',
      'journeyId',
      'pushChallengeId',
      'type',
    ]);
    return { journey, waiting, pushChallengeId: delivered.message.data.pushChallengeId as string };
  }

  const answer = async (
    pushChallengeId: string,
    body: { decision: string; number: number },
    signer: TestDevice = phone,
  ) =>
    postJson(t, `/devices/push-challenges/${pushChallengeId}/response`, {
      ...body,
      signature: await signer.sign({ pushChallengeId, ...body }),
    });

  it('scenario 4: the device approves with the number shown; the long-polling frontend wakes and the journey completes', async () => {
    const { journey, waiting, pushChallengeId } = await bobAtPush();
    const poll = step(t, journey.journeyId, 'push', { transactionToken: waiting.transactionToken, waitSeconds: 10 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    const approved = await answer(pushChallengeId, { decision: 'approve', number: waiting.nextStep.number });
    expect(approved.status).toBe(200);
    const done = await poll;
    expect(Date.now() - started).toBeLessThan(5000); // woken by the answer, not by the 10 s deadline
    expect(done.status).toBe(200);
    expect((await done.json()).status).toBe('COMPLETED');
    const [session] = await t.dataSource.query(
      `SELECT amr, acr, trusted_device_id FROM sessions WHERE context_id = $1`,
      [journey.journeyId],
    );
    expect(session).toEqual({ amr: ['pwd', 'swk', 'push'], acr: 'urn:ciam:loa:2', trusted_device_id: phoneId });
  });

  it("scenario 4: a long-poll without the journey's push token is answered at once, never held open", async () => {
    const { journey, waiting } = await bobAtPush();
    const started = Date.now();
    const stranger = await step(t, journey.journeyId, 'push', {
      transactionToken: randomBytes(32).toString('base64url'),
      waitSeconds: 10,
    });
    expect(stranger.status).toBe(400);
    expect(Date.now() - started).toBeLessThan(5000); // not held for the 10 s it asked for
    expect((await stranger.json()).type).toBe('urn:ciam:problem:transaction-invalid');
    // The journey's own token still polls.
    const own = await step(t, journey.journeyId, 'push', { transactionToken: waiting.transactionToken });
    expect(own.status).toBe(200);
  });

  it('scenario 4: while nobody has answered, polling says WAITING with the same token', async () => {
    const { journey, waiting } = await bobAtPush();
    const response = await step(t, journey.journeyId, 'push', { transactionToken: waiting.transactionToken });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'PENDING',
      transactionToken: waiting.transactionToken,
      nextStep: { type: 'PUSH', phase: 'WAITING' },
    });
  });

  it('scenario 4: a challenge takes one answer: of two racing answers one is recorded, the other is refused', async () => {
    const { journey, waiting, pushChallengeId } = await bobAtPush();
    const number = waiting.nextStep.number as number;
    const answers = await Promise.all([
      answer(pushChallengeId, { decision: 'approve', number }),
      answer(pushChallengeId, { decision: 'deny', number }),
    ]);
    const statuses = answers.map((response) => response.status).sort();
    expect(statuses).toEqual([200, 409]);
    const refused = answers.find((response) => response.status === 409)!;
    expect((await refused.json()).type).toBe('urn:ciam:problem:push-already-answered');
    const [row] = await t.dataSource.query(`SELECT status FROM push_challenges WHERE id = $1`, [pushChallengeId]);
    expect(['APPROVED', 'DENIED']).toContain(row.status);
    const events = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_logs WHERE event_type = 'mfa.push_answered' AND context_id = $1`,
      [journey.journeyId],
    );
    expect(events).toEqual([{ n: 1 }]);
  });

  it.each([
    ['a deny', { decision: 'deny' }, undefined, 200, 'urn:ciam:problem:push-denied', 'DENIED'],
    [
      'a wrong number',
      { decision: 'approve', wrongNumber: true },
      undefined,
      400,
      'urn:ciam:problem:push-rejected',
      'REJECTED',
    ],
    ['a foreign signature', { decision: 'approve' }, 'foreign', 401, 'urn:ciam:problem:push-rejected', 'REJECTED'],
  ] as const)(
    'scenario 4: %s fails the step and ends the journey',
    async (_name, how, signer, answerStatus, problem, recorded) => {
      const { journey, waiting, pushChallengeId } = await bobAtPush();
      const number =
        'wrongNumber' in how
          ? waiting.nextStep.number === 99
            ? 10
            : waiting.nextStep.number + 1
          : waiting.nextStep.number;
      const response = await answer(
        pushChallengeId,
        { decision: how.decision, number },
        signer === 'foreign' ? await TestDevice.create() : phone,
      );
      expect(response.status).toBe(answerStatus);
      // The push factor records the answer in its own table; the journey learns it by asking for a verdict.
      expect(await t.dataSource.query(`SELECT status FROM push_challenges WHERE id = $1`, [pushChallengeId])).toEqual([
        { status: recorded },
      ]);
      const outcome = await step(t, journey.journeyId, 'push', { transactionToken: waiting.transactionToken });
      expect(outcome.status).toBe(403);
      expect((await outcome.json()).type).toBe(problem);
      expect(await t.dataSource.query(`SELECT status FROM auth_contexts WHERE id = $1`, [journey.journeyId])).toEqual([
        { status: 'FAILED' },
      ]);
    },
  );

  it('scenario 4: an expired push is refused late, and the journey goes on: the same token falls back to the SMS code', async () => {
    const { journey, waiting, pushChallengeId } = await bobAtPush();
    t.clock.advance(121);
    expect((await answer(pushChallengeId, { decision: 'approve', number: waiting.nextStep.number })).status).toBe(410);
    const outcome = await step(t, journey.journeyId, 'push', { transactionToken: waiting.transactionToken });
    expect(outcome.status).toBe(410);
    expect((await outcome.json()).type).toBe('urn:ciam:problem:push-expired');
    expect(await t.dataSource.query(`SELECT status FROM auth_contexts WHERE id = $1`, [journey.journeyId])).toEqual([
      { status: 'PENDING' },
    ]);
    const sms = await step(t, journey.journeyId, 'sms-otp/send', { transactionToken: waiting.transactionToken });
    expect(sms.status).toBe(200);
    const verify = await (
      await step(t, journey.journeyId, 'sms-otp', {
        transactionToken: (await sms.json()).transactionToken,
        code: lastSmsCode(),
      })
    ).json();
    expect(verify.status).toBe('COMPLETED');
  });

  it('a revoked device can never vouch again: no proof step, no push option, the key stays taken', async () => {
    await t.dataSource.query(
      `UPDATE trusted_devices SET status = 'REVOKED', revoked_at = now(), revoked_by = 'test', revoke_reason = 'lost' WHERE id = $1`,
      [phoneId],
    );
    const journey = await startJourney(t, { device: { deviceId: 'bob-phone', keyThumbprint: phone.thumbprint } });
    const next = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password')
    ).json();
    expect(next.nextStep.type).toBe('SMS_OTP');
    expect(next.nextStep.options).toEqual([{ type: 'SMS_OTP', maskedPhone: '+44•••••002' }]);
  });
});
