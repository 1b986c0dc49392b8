import { useTestApp } from '../support/app';
import { ciamClient } from '../support/client';
import { SmtpSink } from '../support/smtp-sink';
import { auditEvents, completeLogin, exchangeCode, registerStandardClients } from '../support/oauth';
import { CustomerNotifier } from '../../src/common/customer-notifier';
import { enrolledFactors } from '../support/factors';
import { SessionsRepository } from '../../src/sessions/sessions.repository';

/**
 * Issue 17, items 1 and 5: a customer confirms an email address under /me (code by a real SMTP server the test
 * starts, through the real smtp adapter), the address becomes a factor and the notices' channel; changing it needs
 * a fresh authentication (FreshAuthGuard, 403 STEP_UP_REQUIRED). The directory is the development file (alice has
 * a phone); SMS notices land in the development SMS outbox.
 */
describe('email verification under /me, and the fresh-authentication rule', () => {
  const smtp = new SmtpSink();
  const env: Record<string, string> = {};
  beforeAll(async () => {
    await smtp.start();
    Object.assign(env, smtp.env(), { FACTOR_CHANGE_MAX_AGE_SECONDS: '60' });
  });
  afterAll(() => smtp.stop());
  const t = useTestApp({ env }, registerStandardClients);
  const ALICE = 'CUPID-ALICE-0001';

  /** A fresh password login (loa1); `loa2` raises it the way a completed step-up does. */
  async function signIn(options: { loa2?: boolean } = {}) {
    const login = await completeLogin(t);
    const tokens = (await (await exchangeCode(t, login)).json()) as { access_token: string };
    if (options.loa2) {
      await t.app.get(SessionsRepository).stepUp(t.dataSource.manager, login.sessionId, ALICE, {
        amr: ['otp'],
        acr: 'urn:ciam:loa:2',
        at: t.clock.now(),
        cookieHash: null,
        clientId: 'test-spa',
      });
    }
    return ciamClient(t, { authorization: `Bearer ${tokens.access_token}` });
  }

  const smsOutbox = async () =>
    (await (await fetch(`${t.baseUrl}/dev/sms-outbox`)).json()) as Array<{ to: string; text: string }>;

  it('confirms an address after a fresh step-up; wrong codes count; the code is used once', async () => {
    // loa2: alice has a phone, a second factor (a factor source for it may be registered), so a step-up is due.
    const me = await signIn({ loa2: true });
    const added = await me.POST('/me/email', { body: { address: 'alice.new@example.test' } });
    expect(added.response.status).toBe(202);
    expect(smtp.messages.at(-1)).toMatchObject({
      to: ['alice.new@example.test'],
      subject: 'CIAM: your verification code',
    });
    const code = smtp.codeFor('alice.new@example.test');

    const wrong = await me.POST('/me/email/verify', { body: { code: code === '000000' ? '111111' : '000000' } });
    expect(wrong.response.status).toBe(401);
    expect(wrong.error).toMatchObject({ type: 'urn:ciam:problem:otp-invalid', attemptsLeft: 4 });

    // Two requests with the right code at once: one confirms, the other finds no pending code.
    const [first, second] = await Promise.all([
      me.POST('/me/email/verify', { body: { code } }),
      me.POST('/me/email/verify', { body: { code } }),
    ]);
    expect([first.response.status, second.response.status].sort()).toEqual([200, 409]);
    const got = await me.GET('/me/email');
    expect(got.data).toMatchObject({ address: 'alice.new@example.test' });

    // The new address's own notice goes to the other channel: the phone.
    expect((await smsOutbox()).find((sms) => sms.text.includes('email address confirmed'))).toMatchObject({
      to: '+447700900001',
    });
    const types = (await auditEvents(t, { cupid: ALICE })).map((event) => event.event_type);
    expect(types).toEqual(
      expect.arrayContaining(['email.code_sent', 'email.verification_rejected', 'email.verified', 'customer.notified']),
    );
    const sent = (await auditEvents(t, { cupid: ALICE, type: 'email.code_sent' }))[0];
    expect(sent.details).toMatchObject({ purpose: 'verify', provider: 'smtp', maskedEmail: 'a***@example.test' });
    expect(JSON.stringify(await auditEvents(t, { cupid: ALICE }))).not.toContain(code);
    expect(t.rawLogs()).not.toContain(code);
    expect(await enrolledFactors(t, ALICE)).toEqual([
      expect.objectContaining({ kind: 'email', id: 'primary', label: 'a***@example.test', revocable: true }),
    ]);
  });

  it('with a factor registered, a change needs loa2 within FACTOR_CHANGE_MAX_AGE_SECONDS', async () => {
    const weak = await signIn();
    const refused = await weak.POST('/me/email', { body: { address: 'other@example.test' } });
    expect(refused.response.status).toBe(403);
    expect(refused.error).toMatchObject({ type: 'urn:ciam:problem:step-up-required' });

    const stepped = await signIn({ loa2: true });
    // Past the freshness, within the access token's lifetime.
    t.clock.advance(61);
    try {
      const stale = await stepped.DELETE('/me/email');
      expect(stale.response.status).toBe(403);
      expect(stale.error).toMatchObject({ type: 'urn:ciam:problem:step-up-required' });
    } finally {
      t.clock.reset();
    }
    expect((await weak.GET('/me/email')).data).toMatchObject({ address: 'alice.new@example.test' });
  });

  it('sends notices by email to the verified address', async () => {
    await t.app.get(CustomerNotifier).notify(ALICE, 'factor.enrolled', { kind: 'totp' });
    const notice = smtp.messages.at(-1)!;
    expect(notice).toMatchObject({ to: ['alice.new@example.test'], subject: 'CIAM: a sign-in method was added' });
    expect(notice.raw).toContain('A sign-in method (totp) was added to your account.');
  });

  it('removes the address with a fresh loa2 session; the factor and the email channel are gone', async () => {
    const me = await signIn({ loa2: true });
    const removed = await me.DELETE('/me/email');
    expect(removed.response.status).toBe(204);
    expect((await me.GET('/me/email')).response.status).toBe(404);
    expect(await enrolledFactors(t, ALICE)).toEqual([]);
    expect(await auditEvents(t, { cupid: ALICE, type: 'email.removed' })).toEqual([
      expect.objectContaining({
        actor_type: 'CUSTOMER',
        details: expect.objectContaining({ maskedEmail: 'a***@example.test' }),
      }),
    ]);
    expect((await smsOutbox())[0].text).toBe('CIAM: a sign-in method was removed');
  });

  it('refuses what is not an email address (400), and a code when none is pending (409)', async () => {
    const me = await signIn({ loa2: true });
    const bad = await me.POST('/me/email', { body: { address: 'not an address' } });
    expect(bad.response.status).toBe(400);
    const none = await me.POST('/me/email/verify', { body: { code: '123456' } });
    expect(none.response.status).toBe(409);
  });

  it('fails closed when the mail relay is down: 503 EMAIL_NOT_SENT, nothing counted against the budget', async () => {
    const me = await signIn({ loa2: true });
    const [before] = await t.dataSource.query(`SELECT count(*)::int AS n FROM email_deliveries`);
    await smtp.stop();
    const refused = await me.POST('/me/email', { body: { address: 'down@example.test' } });
    expect(refused.response.status).toBe(503);
    expect(refused.error).toMatchObject({ type: 'urn:ciam:problem:email-not-sent' });
    expect(refused.response.headers.get('retry-after')).toBe('10');
    const [after] = await t.dataSource.query(`SELECT count(*)::int AS n FROM email_deliveries`);
    expect(after.n).toBe(before.n);
    expect(await auditEvents(t, { cupid: ALICE, type: 'email.code_send_failed' })).toEqual([
      expect.objectContaining({ outcome: 'FAILURE', details: expect.objectContaining({ provider: 'smtp' }) }),
    ]);
  });
});
