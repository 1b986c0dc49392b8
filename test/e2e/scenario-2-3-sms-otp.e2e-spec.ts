import { TestApp, useTestApp, startTestApp } from '../support/app';
import { postJson, resendSms, sendSms, startJourney, submitPassword, verifySms } from '../support/journeys';
import { auditEvents, registerStandardClients } from '../support/oauth';
import { useDirectoryAndSmsGateway } from '../support/sms-gateway';

/**
 * Scenarios 2 and 3 (SCENARIOS.md): MFA by SMS one-time code, against a real slapd and the real `http`
 * SMS adapter talking to a local gateway that records what it was asked to send.
 */
describe('scenarios 2 and 3: MFA with an SMS one-time code', () => {
  // bob gets many codes in this file; the per-number budget has a test of its own below (the helper lifts it).
  const { gateway, env } = useDirectoryAndSmsGateway({
    SMS_HTTP_AUTH_HEADER: 'Authorization: Bearer gateway-key',
    SMS_TIMEOUT_MS: '300',
    SMS_HTTP_RETRIES: '1',
  });
  const t = useTestApp({ env }, registerStandardClients);
  beforeEach(() => gateway.always({ kind: 'json', body: { id: 'msg-1' } }));

  /** bob always needs a second factor: after his password the journey offers SMS. */
  async function bobAtMfa(app: TestApp = t) {
    const journey = await startJourney(app);
    const response = await submitPassword(app, journey.journeyId, journey.transactionToken, 'bob', 'bob-password');
    expect(response.status).toBe(200);
    return { journey, body: await response.json() };
  }
  const send = sendSms;
  const resend = resendSms;
  const verify = verifySms;
  const lastCode = () => /(\d{6})/.exec(JSON.parse(gateway.requests.at(-1)!.body).text)![1];
  const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  it('scenario 2: offers SMS to the masked phone, sends a code, and the right code completes with amr [pwd, otp, sms]', async () => {
    const { journey, body } = await bobAtMfa();
    expect(body).toMatchObject({
      status: 'PENDING',
      nextStep: { type: 'SMS_OTP', options: [{ type: 'SMS_OTP', maskedPhone: '+44•••••002' }] },
    });
    expect(JSON.stringify(body)).not.toContain('7700900002');

    const sent = await send(t, journey.journeyId, body.transactionToken);
    expect(sent.status).toBe(200);
    const verifyStep = await sent.json();
    expect(verifyStep).toMatchObject({
      status: 'PENDING',
      nextStep: {
        type: 'SMS_OTP',
        phase: 'VERIFY',
        maskedPhone: '+44•••••002',
        codeLength: 6,
        attemptsLeft: 5,
        codeExpiresAt: expect.any(String),
        resendAvailableAt: expect.any(String),
      },
    });
    const request = gateway.requests.at(-1)!;
    expect(request.headers.authorization).toBe('Bearer gateway-key');
    expect(request.headers['idempotency-key']).toEqual(expect.any(String));
    expect(JSON.parse(request.body)).toMatchObject({ to: '+447700900002', text: expect.stringMatching(/\d{6}/) });
    const code = lastCode();

    const [otpRow] = await t.dataSource.query(
      `SELECT otp_hash, status, attempts FROM auth_transactions WHERE context_id = $1 AND status = 'PENDING'`,
      [journey.journeyId],
    );
    expect(otpRow.otp_hash).toHaveLength(32);
    expect(otpRow.otp_hash.toString('hex')).not.toContain(Buffer.from(code).toString('hex'));

    const done = await verify(t, journey.journeyId, verifyStep.transactionToken, code);
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ status: 'COMPLETED', authorizationCode: expect.any(String) });
    const [session] = await t.dataSource.query(`SELECT amr, acr FROM sessions WHERE context_id = $1`, [
      journey.journeyId,
    ]);
    expect(session).toEqual({ amr: ['pwd', 'otp', 'sms'], acr: 'urn:ciam:loa:2' });
    // The transaction that carried the code is single use (past the window in which a retry gets the same answer).
    t.clock.advance(t.config.journeys.retryWindowSeconds + 1);
    expect((await verify(t, journey.journeyId, verifyStep.transactionToken, code)).status).toBe(400);

    const events = (
      await t.dataSource.query(`SELECT event_type FROM audit_logs WHERE context_id = $1 ORDER BY created_at`, [
        journey.journeyId,
      ])
    ).map((row: { event_type: string }) => row.event_type);
    expect(events).toEqual([
      'journey.started',
      'credentials.verified',
      'risk.evaluated',
      'mfa.sms_sent',
      'mfa.otp_verified',
      'session.created',
      'authorization_code.issued',
      'journey.completed',
      'journey.transaction_rejected',
    ]);
    const everything = JSON.stringify(await t.dataSource.query(`SELECT details FROM audit_logs`)) + t.rawLogs();
    expect(everything).not.toContain(code);
    expect(everything).not.toContain('7700900002');
  });

  it('scenario 3: wrong codes count on the transaction row with the attempts left, then the right one passes', async () => {
    const { journey, body } = await bobAtMfa();
    const step = await (await send(t, journey.journeyId, body.transactionToken)).json();
    const code = lastCode();
    for (const left of [4, 3]) {
      const wrong = await verify(t, journey.journeyId, step.transactionToken, wrongCode(code));
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toMatchObject({ type: 'urn:ciam:problem:otp-invalid', attemptsLeft: left });
    }
    expect(
      await t.dataSource.query(`SELECT attempts FROM auth_transactions WHERE context_id = $1 AND status = 'PENDING'`, [
        journey.journeyId,
      ]),
    ).toEqual([{ attempts: 2 }]);
    const right = await verify(t, journey.journeyId, step.transactionToken, code);
    expect(right.status).toBe(200);
    expect((await right.json()).status).toBe('COMPLETED');
    // Every earlier token of the journey is dead (past the window in which a retry gets the same answer).
    t.clock.advance(t.config.journeys.retryWindowSeconds + 1);
    expect((await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password')).status).toBe(
      400,
    );
    expect((await send(t, journey.journeyId, body.transactionToken)).status).toBe(400);
  });

  it('scenario 3: the fifth wrong code fails the step and the journey', async () => {
    const { journey, body } = await bobAtMfa();
    const step = await (await send(t, journey.journeyId, body.transactionToken)).json();
    const code = lastCode();
    for (let i = 0; i < 4; i += 1)
      expect((await verify(t, journey.journeyId, step.transactionToken, wrongCode(code))).status).toBe(401);
    const last = await verify(t, journey.journeyId, step.transactionToken, wrongCode(code));
    expect(last.status).toBe(403);
    expect((await last.json()).type).toBe('urn:ciam:problem:journey-failed');
    expect(await t.dataSource.query(`SELECT status FROM auth_contexts WHERE id = $1`, [journey.journeyId])).toEqual([
      { status: 'FAILED' },
    ]);
    expect(
      await t.dataSource.query(
        `SELECT status, attempts FROM auth_transactions WHERE context_id = $1 AND step = 'SMS_OTP' AND otp_hash IS NOT NULL`,
        [journey.journeyId],
      ),
    ).toEqual([{ status: 'FAILED', attempts: 5 }]);
    expect((await verify(t, journey.journeyId, step.transactionToken, code)).status).toBe(400);
  });

  it('an expired code is refused and a resend (after the cool-down) voids it and brings a new one', async () => {
    const { journey, body } = await bobAtMfa();
    const step = await (await send(t, journey.journeyId, body.transactionToken)).json();
    const oldCode = lastCode();
    const tooSoon = await resend(t, journey.journeyId, step.transactionToken);
    expect(tooSoon.status).toBe(429);
    expect(Number(tooSoon.headers.get('retry-after'))).toBeGreaterThan(0);

    t.clock.advance(301);
    const expired = await verify(t, journey.journeyId, step.transactionToken, oldCode);
    expect(expired.status).toBe(400);
    expect((await expired.json()).type).toBe('urn:ciam:problem:otp-expired');

    const again = await resend(t, journey.journeyId, step.transactionToken);
    expect(again.status).toBe(200);
    const newStep = await again.json();
    const newCode = lastCode();
    expect((await verify(t, journey.journeyId, step.transactionToken, oldCode)).status).toBe(400); // old token voided
    if (newCode !== oldCode)
      expect((await verify(t, journey.journeyId, newStep.transactionToken, oldCode)).status).toBe(401);
    const ok = await verify(t, journey.journeyId, newStep.transactionToken, newCode);
    expect(ok.status).toBe(200);
    const sends = await auditEvents(t, { type: 'mfa.sms_sent', cupid: 'CUPID-BOB-0002' });
    expect(sends.filter((event) => event.details.send === 2).length).toBeGreaterThan(0);
  });

  it('limits resends per journey', async () => {
    const { journey, body } = await bobAtMfa();
    let token = (await (await send(t, journey.journeyId, body.transactionToken)).json()).transactionToken;
    for (let i = 0; i < 3; i += 1) {
      t.clock.advance(31);
      const response = await resend(t, journey.journeyId, token);
      expect(response.status).toBe(200);
      token = (await response.json()).transactionToken;
    }
    t.clock.advance(31);
    const fourth = await resend(t, journey.journeyId, token);
    expect(fourth.status).toBe(429);
    expect((await fourth.json()).type).toBe('urn:ciam:problem:resend-limit-reached');
  });

  it('a provider failure says the code was not sent, counts nothing, and the same token can retry', async () => {
    const { journey, body } = await bobAtMfa();
    const before = gateway.requests.length;
    gateway.always({ kind: 'status', status: 502 });
    const failed = await send(t, journey.journeyId, body.transactionToken);
    expect(failed.status).toBe(503);
    expect((await failed.json()).type).toBe('urn:ciam:problem:sms-not-sent');
    expect(gateway.requests.length - before).toBe(2); // one retry on 5xx
    expect(
      await t.dataSource.query(`SELECT count(*)::int AS n FROM sms_deliveries WHERE context_id = $1`, [
        journey.journeyId,
      ]),
    ).toEqual([{ n: 0 }]);
    expect((await auditEvents(t, { type: 'mfa.sms_send_failed', cupid: 'CUPID-BOB-0002' })).length).toBeGreaterThan(0);

    gateway.always({ kind: 'slow', ms: 1000, body: {} });
    expect((await send(t, journey.journeyId, body.transactionToken)).status).toBe(503);

    gateway.always({ kind: 'json', body: { id: 'msg-2' } });
    const retried = await send(t, journey.journeyId, body.transactionToken);
    expect(retried.status).toBe(200);
  });

  it('completes the step exactly once when 20 submissions of the right code race', async () => {
    const { journey, body } = await bobAtMfa();
    const step = await (await send(t, journey.journeyId, body.transactionToken)).json();
    const code = lastCode();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => verify(t, journey.journeyId, step.transactionToken, code)),
    );
    const statuses = responses.map((response) => response.status);
    const bodies = await Promise.all(responses.map((response) => response.json()));
    // One completes the step; the others are refused while it runs, or get its very answer again after (a retry).
    expect(statuses.filter((status) => status !== 200 && status !== 400)).toEqual([]);
    expect(new Set(bodies.filter((body) => body.authorizationCode).map((body) => body.authorizationCode)).size).toBe(1);
    expect(
      await t.dataSource.query(`SELECT count(*)::int AS n FROM sessions WHERE context_id = $1`, [journey.journeyId]),
    ).toEqual([{ n: 1 }]);
    expect(
      await t.dataSource.query(
        `SELECT count(*)::int AS n FROM authorization_codes WHERE session_id IN (SELECT id FROM sessions WHERE context_id = $1)`,
        [journey.journeyId],
      ),
    ).toEqual([{ n: 1 }]);
  });

  it('rejects verify before send, and send twice', async () => {
    const { journey, body } = await bobAtMfa();
    const early = await verify(t, journey.journeyId, body.transactionToken, '123456');
    expect(early.status).toBe(409);
    const step = await (await send(t, journey.journeyId, body.transactionToken)).json();
    expect((await send(t, journey.journeyId, step.transactionToken)).status).toBe(409);
    const malformed = await postJson(t, `/journeys/${journey.journeyId}/sms-otp`, {
      transactionToken: step.transactionToken,
      code: '12ab56',
    });
    expect(malformed.status).toBe(400);
  });

  it('caps SMS per phone number across journeys and instances (against SMS pumping)', async () => {
    const strict = await startTestApp({
      database: t.database,
      env: { ...env, SMS_RECIPIENT_LIMIT_15M: '2', SMS_RECIPIENT_LIMIT_24H: '10' },
    });
    try {
      await strict.dataSource.query(`DELETE FROM sms_deliveries`);
      for (let i = 0; i < 2; i += 1) {
        const app = i % 2 ? strict : t;
        const { journey, body } = await bobAtMfa(app);
        expect((await send(app, journey.journeyId, body.transactionToken)).status).toBe(200);
      }
      const { journey, body } = await bobAtMfa(strict);
      const blocked = await send(strict, journey.journeyId, body.transactionToken);
      expect(blocked.status).toBe(429);
      expect((await blocked.json()).type).toBe('urn:ciam:problem:sms-limit-reached');
      const [row] = await strict.dataSource.query(`SELECT recipient_hash FROM sms_deliveries LIMIT 1`);
      expect(row.recipient_hash.toString('utf8')).not.toContain('7700900002');
    } finally {
      await strict.app.close();
    }
  });
});
