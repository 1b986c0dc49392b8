import { useTestApp } from '../support/app';
import { journeyStep, startJourney, submitPassword } from '../support/journeys';
import { auditEvents, registerStandardClients } from '../support/oauth';
import { SmtpSink } from '../support/smtp-sink';
import { CustomerEmailsRepository } from '../../src/mfa/email/customer-emails.repository';

/**
 * Issue 17: a one-time code by email as a second factor (the EMAIL_OTP step), offered when the customer has a
 * verified address, on the SMS code's rules: hashed at rest, a TTL, attempts per journey, resends with a limit and
 * a cool-down, a budget per address (EMAIL_RECIPIENT_LIMIT_*). The codes go through the real smtp adapter to a real
 * SMTP server the test starts. bob (the development directory) always needs a second factor and has a phone.
 */
describe('sign-in with a code by email', () => {
  const smtp = new SmtpSink();
  const env: Record<string, string> = {};
  beforeAll(async () => {
    await smtp.start();
    // Wrong codes of every spec here land on bob: the per-customer MFA lock has specs of its own.
    Object.assign(env, smtp.env(), { MFA_CODE_FAILURE_LIMIT: '1000', EMAIL_RECIPIENT_LIMIT_15M: '4' });
  });
  afterAll(() => smtp.stop());
  const t = useTestApp({ env }, registerStandardClients);
  const BOB = 'CUPID-BOB-0002';

  /** bob's verified address (as /me/email leaves it once confirmed); each spec its own, so budgets do not mix. */
  async function verifiedEmail(address: string | null) {
    const emails = t.app.get(CustomerEmailsRepository);
    if (address === null) await emails.delete(t.dataSource.manager, BOB);
    else await emails.upsertVerified(t.dataSource.manager, BOB, address, t.clock.now());
  }

  async function bobAtMfa() {
    const journey = await startJourney(t);
    const response = await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password');
    expect(response.status).toBe(200);
    return { journeyId: journey.journeyId, body: await response.json() };
  }

  const send = (journeyId: string, transactionToken: string) =>
    journeyStep(t, journeyId, 'email-otp/send', { transactionToken });
  const resend = (journeyId: string, transactionToken: string) =>
    journeyStep(t, journeyId, 'email-otp/resend', { transactionToken });
  const verify = (journeyId: string, transactionToken: string, code: string) =>
    journeyStep(t, journeyId, 'email-otp', { transactionToken, code });
  const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  const loginDeliveries = async () =>
    (await t.dataSource.query(`SELECT count(*)::int AS n FROM email_deliveries WHERE purpose = 'login'`))[0]
      .n as number;

  it('is not offered to a customer without a verified address', async () => {
    await verifiedEmail(null);
    const { journeyId, body } = await bobAtMfa();
    expect(body.nextStep.type).toBe('SMS_OTP');
    expect(body.nextStep.options.map((option: { type: string }) => option.type)).not.toContain('EMAIL_OTP');
    // Nor can its operation be called with the token of the choice.
    const refused = await send(journeyId, body.transactionToken);
    expect(refused.status).toBe(409);
    expect((await refused.json()).type).toBe('urn:ciam:problem:step-out-of-order');
    expect(smtp.messages).toHaveLength(0);
  });

  it('signs in with the password and the code mailed to the verified address; amr [pwd, otp], loa2', async () => {
    await verifiedEmail('bob.login@example.test');
    const { journeyId, body } = await bobAtMfa();
    expect(body.nextStep.options).toEqual(
      expect.arrayContaining([{ type: 'EMAIL_OTP', maskedEmail: 'b***@example.test' }]),
    );
    expect(JSON.stringify(body)).not.toContain('bob.login');

    const sent = await send(journeyId, body.transactionToken);
    expect(sent.status).toBe(200);
    const step = await sent.json();
    expect(step).toMatchObject({
      status: 'PENDING',
      nextStep: {
        type: 'EMAIL_OTP',
        phase: 'VERIFY',
        maskedEmail: 'b***@example.test',
        codeLength: 6,
        attemptsLeft: 5,
        codeExpiresAt: expect.any(String),
        resendAvailableAt: expect.any(String),
      },
    });
    expect(smtp.messages.at(-1)).toMatchObject({ to: ['bob.login@example.test'], subject: 'CIAM: your sign-in code' });
    const code = smtp.codeFor('bob.login@example.test');
    const [row] = await t.dataSource.query(
      `SELECT otp_hash FROM auth_transactions WHERE context_id = $1 AND step = 'EMAIL_OTP' AND status = 'PENDING'`,
      [journeyId],
    );
    expect(row.otp_hash).toHaveLength(32);

    const done = await verify(journeyId, step.transactionToken, code);
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ status: 'COMPLETED', authorizationCode: expect.any(String) });
    const [session] = await t.dataSource.query(`SELECT amr, acr FROM sessions WHERE context_id = $1`, [journeyId]);
    expect(session).toEqual({ amr: ['pwd', 'otp'], acr: 'urn:ciam:loa:2' });
    const [email] = await t.dataSource.query(`SELECT last_used_at FROM customer_emails WHERE cupid = $1`, [BOB]);
    expect(email.last_used_at).not.toBeNull();

    const events = await auditEvents(t, { contextId: journeyId });
    expect(events.map((event) => event.event_type)).toEqual(
      expect.arrayContaining(['email.code_sent', 'mfa.otp_verified', 'journey.completed']),
    );
    expect(events.find((event) => event.event_type === 'email.code_sent')!.details).toEqual({
      purpose: 'login',
      provider: 'smtp',
      maskedEmail: 'b***@example.test',
      send: 1,
    });
    expect(events.find((event) => event.event_type === 'mfa.otp_verified')!.details).toEqual({ factor: 'email' });
    const everything = JSON.stringify(await t.dataSource.query(`SELECT details FROM audit_logs`)) + t.rawLogs();
    expect(everything).not.toContain(code);
    expect(everything).not.toContain('bob.login');
  });

  it('counts wrong codes on the transaction; the last one fails the journey', async () => {
    await verifiedEmail('bob.wrong@example.test');
    const { journeyId, body } = await bobAtMfa();
    const step = await (await send(journeyId, body.transactionToken)).json();
    const code = smtp.codeFor('bob.wrong@example.test');
    for (const left of [4, 3, 2, 1]) {
      const wrong = await verify(journeyId, step.transactionToken, wrongCode(code));
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toMatchObject({ type: 'urn:ciam:problem:otp-invalid', attemptsLeft: left });
    }
    const last = await verify(journeyId, step.transactionToken, wrongCode(code));
    expect(last.status).toBe(403);
    expect((await last.json()).type).toBe('urn:ciam:problem:journey-failed');
    // The journey is over: not even the right code helps now.
    expect((await verify(journeyId, step.transactionToken, code)).status).not.toBe(200);
    expect(await t.dataSource.query(`SELECT status FROM auth_contexts WHERE id = $1`, [journeyId])).toEqual([
      { status: 'FAILED' },
    ]);
    const rejected = await auditEvents(t, { contextId: journeyId, type: 'mfa.otp_rejected' });
    expect(rejected).toHaveLength(5);
    expect(rejected[0].details).toMatchObject({ reason: 'invalid', factor: 'email', attempt: 1, maxAttempts: 5 });
  });

  it('resends after the cool-down, voiding the old code; the per-address budget stops the sends (429, audited)', async () => {
    await verifiedEmail('bob.resend@example.test');
    const { journeyId, body } = await bobAtMfa();
    let step = await (await send(journeyId, body.transactionToken)).json();
    const first = smtp.codeFor('bob.resend@example.test');

    const early = await resend(journeyId, step.transactionToken);
    expect(early.status).toBe(429);
    expect((await early.json()).type).toBe('urn:ciam:problem:resend-too-soon');

    // EMAIL_RECIPIENT_LIMIT_15M is 4 here: the first send and three resends pass, the fourth resend does not.
    for (let i = 0; i < 3; i += 1) {
      t.clock.advance(t.config.otp.resendCooldownSeconds);
      const resent = await resend(journeyId, step.transactionToken);
      expect(resent.status).toBe(200);
      step = await resent.json();
    }
    const latest = smtp.codeFor('bob.resend@example.test');
    expect(step.nextStep.resendAvailableAt).toBeNull(); // OTP_RESEND_LIMIT (3) resends used
    t.clock.advance(t.config.otp.resendCooldownSeconds);
    const over = await resend(journeyId, step.transactionToken);
    expect(over.status).toBe(429);
    expect((await over.json()).type).toBe('urn:ciam:problem:resend-limit-reached');

    // Another journey for the same address meets the address's budget.
    const second = await bobAtMfa();
    const spent = await send(second.journeyId, second.body.transactionToken);
    expect(spent.status).toBe(429);
    expect(await spent.json()).toMatchObject({ type: 'urn:ciam:problem:email-limit-reached' });
    expect(spent.headers.get('retry-after')).toBe('900');
    expect(await auditEvents(t, { contextId: second.journeyId, type: 'email.code_send_failed' })).toEqual([
      expect.objectContaining({ outcome: 'FAILURE', details: expect.objectContaining({ reason: 'budget' }) }),
    ]);

    // The resent code works; the first one no longer does.
    if (first !== latest) expect((await verify(journeyId, step.transactionToken, first)).status).toBe(401);
    const done = await verify(journeyId, step.transactionToken, latest);
    expect(done.status).toBe(200);
    expect((await done.json()).status).toBe('COMPLETED');
  });

  it('fails closed when the mail relay is down: 503 EMAIL_NOT_SENT, nothing counted, the same token retries', async () => {
    await verifiedEmail('bob.down@example.test');
    const { journeyId, body } = await bobAtMfa();
    const before = await loginDeliveries();
    await smtp.stop();
    const refused = await send(journeyId, body.transactionToken);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ type: 'urn:ciam:problem:email-not-sent' });
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(await loginDeliveries()).toBe(before);
    expect(
      await t.dataSource.query(
        `SELECT count(*)::int AS n FROM auth_transactions WHERE context_id = $1 AND step = 'EMAIL_OTP' AND otp_hash IS NOT NULL`,
        [journeyId],
      ),
    ).toEqual([{ n: 0 }]);
    expect(await auditEvents(t, { contextId: journeyId, type: 'email.code_send_failed' })).toEqual([
      expect.objectContaining({
        outcome: 'FAILURE',
        details: expect.objectContaining({ purpose: 'login', provider: 'smtp', maskedEmail: 'b***@example.test' }),
      }),
    ]);
    // The token of the choice is still good: the customer may pick SMS instead.
    const sms = await journeyStep(t, journeyId, 'sms-otp/send', { transactionToken: body.transactionToken });
    expect(sms.status).toBe(200);
  });
});
