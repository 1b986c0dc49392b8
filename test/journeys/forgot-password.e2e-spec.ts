import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useTestApp } from '../support/app';
import { ciamClient } from '../support/client';
import { journeyStep, startJourney, submitPassword } from '../support/journeys';
import { auditEvents, completeLogin, exchangeCode, refresh, registerStandardClients } from '../support/oauth';
import { Slapd, startSlapd } from '../support/slapd';
import { SmtpSink } from '../support/smtp-sink';
import { CustomerEmailsRepository } from '../../src/mfa/email/customer-emails.repository';

interface Answer {
  journeyId: string;
  status: string;
  transactionToken?: string;
  passwordReset?: boolean;
  authorizationCode?: string;
  nextStep?: { type: string; phase?: string; options?: Array<Record<string, unknown>>; [key: string]: unknown };
}

const NEW_PASSWORD = 'a brand new passphrase 42';

/**
 * Issue 17, item 6: the forgot-password journey, against both directories (a real slapd, and a copy of the
 * development file). Username alone, a registered factor (an SMS code to the directory's phone, an emailed code,
 * passkey options that name no credential, or a recovery code), the password policy, the new password at the directory, every other session revoked; an unknown
 * username gets the same answers as a known one until a factor is proven.
 */
describe.each([['ldap'], ['file']])('forgot password (%s directory)', (adapter) => {
  let slapd: Slapd | undefined;
  const env: Record<string, string> = {};
  let dir: string | undefined;
  beforeAll(async () => {
    if (adapter === 'ldap') {
      slapd = await startSlapd();
      Object.assign(env, slapd.env);
    } else {
      // The file directory rewrites its file: a copy, never the development file itself.
      dir = mkdtempSync(join(tmpdir(), 'ciam-forgot-'));
      copyFileSync('config/directory.dev.json', join(dir, 'directory.json'));
      Object.assign(env, { USER_DIRECTORY: 'file', DIRECTORY_FILE: join(dir, 'directory.json') });
    }
  });
  afterAll(async () => {
    await slapd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const t = useTestApp({ env }, registerStandardClients);

  const smsOutbox = async () =>
    (await (await fetch(`${t.baseUrl}/dev/sms-outbox`)).json()) as Array<{ to: string; text: string }>;

  async function named(username: string): Promise<Answer> {
    const journey = await startJourney(t, { purpose: 'password_reset' });
    expect(journey.body.nextStep).toEqual({ type: 'RESET_USERNAME' });
    const answer = await journeyStep(t, journey.journeyId, 'reset/username', {
      transactionToken: journey.transactionToken,
      username,
    });
    expect(answer.status).toBe(200);
    return (await answer.json()) as Answer;
  }

  async function send(journey: Answer): Promise<Answer> {
    const sent = await journeyStep(t, journey.journeyId, 'sms-otp/send', {
      transactionToken: journey.transactionToken!,
    });
    expect(sent.status).toBe(200);
    return (await sent.json()) as Answer;
  }

  /** The code of the last SMS to this phone (the dev outbox). */
  async function lastCode(phone: string): Promise<string> {
    const texts = (await smsOutbox()).filter((sms) => sms.to === phone).map((sms) => sms.text);
    const code = /(\d{6})/.exec(texts[texts.length - 1] ?? '')?.[1];
    if (!code) throw new Error(`no code sent to ${phone}`);
    return code;
  }

  const setPassword = (journey: Answer, newPassword: string) =>
    journeyStep(t, journey.journeyId, 'reset/password', { transactionToken: journey.transactionToken!, newPassword });

  async function signsIn(username: string, password: string): Promise<number> {
    const journey = await startJourney(t);
    return (await submitPassword(t, journey.journeyId, journey.transactionToken, username, password)).status;
  }

  it('recovers with an SMS code: the policy first, then the directory; other sessions end; no session is opened', async () => {
    const BOB = 'CUPID-BOB-0002';
    // A session Bob already has (another device): its refresh token must die with the reset.
    const tokens = (await (await exchangeCode(t, await completeLogin(t, { cupid: BOB }))).json()) as {
      refresh_token: string;
    };

    const choice = await named('bob');
    expect(choice).toMatchObject({
      status: 'PENDING',
      nextStep: {
        type: 'SMS_OTP',
        phase: 'CHOOSE',
        options: [
          { type: 'SMS_OTP' },
          { type: 'TOTP' },
          { type: 'PASSKEY' },
          { type: 'RECOVERY_CODE' },
          { type: 'EMAIL_OTP' },
        ],
      },
    });
    const verify = await send(choice);
    expect(verify.nextStep).toMatchObject({ type: 'SMS_OTP', phase: 'VERIFY', maskedPhone: null });
    const proven = await journeyStep(t, verify.journeyId, 'sms-otp', {
      transactionToken: verify.transactionToken!,
      code: await lastCode('+447700900002'),
    });
    expect(proven.status).toBe(200);
    const atPassword = (await proven.json()) as Answer;
    expect(atPassword.nextStep).toEqual({ type: 'SET_PASSWORD' });

    const weak = await setPassword(atPassword, 'Password1234!');
    expect(weak.status).toBe(422);
    expect(await weak.json()).toMatchObject({
      type: 'urn:ciam:problem:password-policy-violation',
      errors: [{ field: 'newPassword', messages: ['breached'] }],
    });
    const short = await setPassword(atPassword, 'bob');
    expect(await short.json()).toMatchObject({
      errors: [{ field: 'newPassword', messages: ['min_length', 'equals_username'] }],
    });
    // Nothing changed at the directory yet.
    expect(await signsIn('bob', 'bob-password')).toBe(200);

    const done = await setPassword(atPassword, NEW_PASSWORD);
    expect(done.status).toBe(200);
    const completed = (await done.json()) as Answer;
    expect(completed).toEqual({ journeyId: atPassword.journeyId, status: 'COMPLETED', passwordReset: true });

    expect(await signsIn('bob', 'bob-password')).toBe(401);
    expect(await signsIn('bob', NEW_PASSWORD)).toBe(200);
    expect((await refresh(t, tokens.refresh_token)).status).toBe(400);
    const [{ active }] = await t.dataSource.query(
      `SELECT count(*)::int AS active FROM sessions WHERE cupid = $1 AND status = 'ACTIVE'`,
      [BOB],
    );
    expect(active).toBe(0);

    const types = (await auditEvents(t, { cupid: BOB })).map((event: { event_type: string }) => event.event_type);
    expect(types).toEqual(
      expect.arrayContaining(['password.reset_started', 'password.reset_rejected', 'password.reset']),
    );
    expect(await auditEvents(t, { cupid: BOB, type: 'password.reset' })).toEqual([
      expect.objectContaining({
        outcome: 'SUCCESS',
        details: expect.objectContaining({ factor: 'SMS_OTP', sessionsRevoked: 1 }),
      }),
    ]);
    expect(JSON.stringify(await auditEvents(t, { cupid: BOB }))).not.toContain(NEW_PASSWORD);
    // The notice leaves after the transaction: wait for it, generously.
    const notice = (sms: { text: string }) => /password/i.test(sms.text) && !/code/i.test(sms.text);
    for (let i = 0; i < 50 && !(await smsOutbox()).some(notice); i++) await new Promise((r) => setTimeout(r, 100));
    expect((await smsOutbox()).find(notice)).toMatchObject({ to: '+447700900002' });
  });

  it('recovers with a recovery code', async () => {
    const ALICE = 'CUPID-ALICE-0001';
    const login = await completeLogin(t, { cupid: ALICE, acr: 'urn:ciam:loa:2' });
    const { access_token } = (await (await exchangeCode(t, login)).json()) as { access_token: string };
    const generated = await ciamClient(t, { authorization: `Bearer ${access_token}` }).POST('/me/recovery-codes', {});
    expect(generated.response.status).toBe(201);

    const choice = await named('alice');
    const proven = await journeyStep(t, choice.journeyId, 'recovery-code', {
      transactionToken: choice.transactionToken!,
      code: generated.data!.codes[0],
    });
    expect(proven.status).toBe(200);
    const done = await setPassword((await proven.json()) as Answer, 'alice recovered passphrase');
    expect(await done.json()).toMatchObject({ status: 'COMPLETED', passwordReset: true });
    expect(await signsIn('alice', 'alice recovered passphrase')).toBe(200);
  });

  it('answers an unknown username exactly as a known one until a factor is proven', async () => {
    const shape = (answer: Answer) => ({ status: answer.status, nextStep: answer.nextStep, keys: Object.keys(answer) });
    const known = await named('bob');
    const unknown = await named('nobody-at-all');
    expect(shape(unknown)).toEqual(shape(known));

    const before = (await smsOutbox()).length;
    const [knownSent, unknownSent] = [await send(known), await send(unknown)];
    const strip = (answer: Answer) => {
      const { codeExpiresAt: _e, resendAvailableAt: _r, ...rest } = answer.nextStep!;
      return { ...shape(answer), nextStep: rest };
    };
    expect(strip(unknownSent)).toEqual(strip(knownSent));
    expect((await smsOutbox()).length).toBe(before + 1); // only Bob's phone got a message

    for (const journey of [knownSent, unknownSent]) {
      const wrong = await journeyStep(t, journey.journeyId, 'sms-otp', {
        transactionToken: journey.transactionToken!,
        code: '000000',
      });
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toMatchObject({ type: 'urn:ciam:problem:otp-invalid', attemptsLeft: 4 });
    }
    // A disabled account is answered the same way too; the audit trail keeps the truth.
    const dave = await named('dave');
    expect(shape(dave)).toEqual(shape(known));
    const truth = async (journey: Answer) =>
      (await auditEvents(t, { contextId: journey.journeyId, type: 'password.reset_started' })).map(
        (event: { details: Record<string, unknown> }) => event.details,
      );
    expect(await truth(known)).toEqual([{ knownCustomer: true }]);
    expect(await truth(unknown)).toEqual([{ knownCustomer: false }]);
    expect(await truth(dave)).toEqual([{ knownCustomer: true, directoryStatus: 'DISABLED' }]);
  });

  it('offers passkey options that list no credentials, the same for every username', async () => {
    const options = async (username: string) => {
      const choice = await named(username);
      const answer = await journeyStep(t, choice.journeyId, 'passkey/options', {
        transactionToken: choice.transactionToken!,
      });
      expect(answer.status).toBe(200);
      const body = (await answer.json()) as Answer;
      const { challenge: _c, ...publicKey } = body.nextStep!.publicKey as Record<string, unknown>;
      return { type: body.nextStep!.type, phase: body.nextStep!.phase, publicKey };
    };
    const known = await options('bob');
    expect(known).toMatchObject({ type: 'PASSKEY', phase: 'ASSERT' });
    expect(known.publicKey).not.toHaveProperty('allowCredentials');
    expect(await options('nobody-at-all')).toEqual(known);
  });
});

describe('forgot password: starts are rate limited per address, like passwords', () => {
  const t = useTestApp({ env: { LOCKOUT_IP_FAILURE_LIMIT: '2' } }, registerStandardClients);

  it('answers 429 TOO_MANY_ATTEMPTS once the address reached the limit, for any username', async () => {
    const start = async (username: string) => {
      const journey = await startJourney(t, { purpose: 'password_reset' });
      return journeyStep(t, journey.journeyId, 'reset/username', {
        transactionToken: journey.transactionToken,
        username,
      });
    };
    expect((await start('alice')).status).toBe(200);
    expect((await start('nobody-at-all')).status).toBe(200);
    const refused = await start('bob');
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ type: 'urn:ciam:problem:too-many-attempts' });
    expect(await auditEvents(t, { type: 'lockout.engaged' })).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ subject: 'ip' }) }),
    ]);
    // Nothing was counted against the accounts named.
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM login_attempts WHERE subject NOT LIKE 'ip:%'`,
    );
    expect(n).toBe(0);
  });
});

describe('forgot password by a code mailed to the verified address', () => {
  const smtp = new SmtpSink();
  const env: Record<string, string> = {};
  let dir: string;
  beforeAll(async () => {
    await smtp.start();
    dir = mkdtempSync(join(tmpdir(), 'ciam-forgot-email-'));
    copyFileSync('config/directory.dev.json', join(dir, 'directory.json'));
    Object.assign(env, smtp.env(), { USER_DIRECTORY: 'file', DIRECTORY_FILE: join(dir, 'directory.json') });
  });
  afterAll(async () => {
    await smtp.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const t = useTestApp({ env }, registerStandardClients);
  const BOB = 'CUPID-BOB-0002';

  async function named(username: string): Promise<Answer> {
    const journey = await startJourney(t, { purpose: 'password_reset' });
    const answer = await journeyStep(t, journey.journeyId, 'reset/username', {
      transactionToken: journey.transactionToken,
      username,
    });
    expect(answer.status).toBe(200);
    return (await answer.json()) as Answer;
  }
  const sendEmail = async (journey: Answer) => {
    const sent = await journeyStep(t, journey.journeyId, 'email-otp/send', {
      transactionToken: journey.transactionToken!,
    });
    expect(sent.status).toBe(200);
    return (await sent.json()) as Answer;
  };

  it('recovers with the emailed code; the address is never shown, an unknown username gets the same answers', async () => {
    await t.app
      .get(CustomerEmailsRepository)
      .upsertVerified(t.dataSource.manager, BOB, 'bob.reset@example.test', t.clock.now());

    const choice = await named('bob');
    expect(choice.nextStep!.options).toContainEqual({ type: 'EMAIL_OTP' });
    const unknown = await named('nobody-at-all');
    expect(unknown.nextStep).toEqual(choice.nextStep);

    const verify = await sendEmail(choice);
    expect(verify.nextStep).toMatchObject({ type: 'EMAIL_OTP', phase: 'VERIFY', maskedEmail: null });
    const unknownVerify = await sendEmail(unknown);
    const strip = (answer: Answer) => {
      const { codeExpiresAt: _e, resendAvailableAt: _r, ...rest } = answer.nextStep!;
      return rest;
    };
    expect(strip(unknownVerify)).toEqual(strip(verify));
    expect(smtp.messages).toHaveLength(1); // only bob's mailbox got a message
    const wrong = await journeyStep(t, unknownVerify.journeyId, 'email-otp', {
      transactionToken: unknownVerify.transactionToken!,
      code: smtp.codeFor('bob.reset@example.test'),
    });
    expect(wrong.status).toBe(401);

    const proven = await journeyStep(t, verify.journeyId, 'email-otp', {
      transactionToken: verify.transactionToken!,
      code: smtp.codeFor('bob.reset@example.test'),
    });
    expect(proven.status).toBe(200);
    const atPassword = (await proven.json()) as Answer;
    expect(atPassword.nextStep).toEqual({ type: 'SET_PASSWORD' });
    const done = await journeyStep(t, atPassword.journeyId, 'reset/password', {
      transactionToken: atPassword.transactionToken!,
      newPassword: NEW_PASSWORD,
    });
    expect(await done.json()).toMatchObject({ status: 'COMPLETED', passwordReset: true });
    const signIn = await startJourney(t);
    expect((await submitPassword(t, signIn.journeyId, signIn.transactionToken, 'bob', NEW_PASSWORD)).status).toBe(200);
    expect(await auditEvents(t, { cupid: BOB, type: 'password.reset' })).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ factor: 'EMAIL_OTP' }) }),
    ]);
  });
});

describe('forgot password without an email provider', () => {
  const t = useTestApp({ env: { EMAIL_PROVIDER: 'none' } }, registerStandardClients);

  it('offers no email code, to anyone', async () => {
    const journey = await startJourney(t, { purpose: 'password_reset' });
    const answer = await journeyStep(t, journey.journeyId, 'reset/username', {
      transactionToken: journey.transactionToken,
      username: 'nobody-at-all',
    });
    const options = ((await answer.json()) as Answer).nextStep!.options!.map((option) => option.type);
    expect(options).toEqual(['SMS_OTP', 'TOTP', 'PASSKEY', 'RECOVERY_CODE']);
  });
});
