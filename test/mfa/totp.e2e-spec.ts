import { Secret, TOTP } from 'otpauth';
import { useTestApp } from '../support/app';
import { ciamClient } from '../support/client';
import { journeyStep, startJourney, submitPassword } from '../support/journeys';
import { auditEvents, completeLogin, exchangeCode, registerStandardClients } from '../support/oauth';
import { enrolledFactors } from '../support/factors';

/**
 * Issue 17, item 2: TOTP (RFC 6238). Bob (the development file directory: MFA required, a phone) adds an
 * authenticator app under /me, confirms it with a first code, then signs in with a code instead of the SMS. A
 * code is accepted once, across journeys and under concurrency; one step of drift is allowed. The codes are made
 * with otpauth from the secret the enrolment answered, as an authenticator app would.
 */
describe('TOTP: enrolment under /me and the TOTP journey step', () => {
  const t = useTestApp({}, registerStandardClients);
  const BOB = 'CUPID-BOB-0002';
  let totp: TOTP;
  let credentialId: string;
  const codeAt = (offsetSeconds = 0) => totp.generate({ timestamp: t.clock.now().getTime() + offsetSeconds * 1000 });

  /** A fresh password login; `loa2` raises it the way a completed step-up does. */
  async function signIn(options: { loa2?: boolean } = {}) {
    const login = await completeLogin(t, { cupid: BOB });
    if (options.loa2)
      await t.dataSource.query(`UPDATE sessions SET acr = 'urn:ciam:loa:2' WHERE id = $1`, [login.sessionId]);
    const tokens = (await (await exchangeCode(t, login)).json()) as { access_token: string };
    return ciamClient(t, { authorization: `Bearer ${tokens.access_token}` });
  }

  /** A journey for bob up to his second factor: the transaction token that the TOTP step accepts. */
  async function atSecondFactor() {
    const journey = await startJourney(t);
    const answer = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password')
    ).json();
    return answer as {
      journeyId: string;
      transactionToken: string;
      nextStep: { type: string; options?: Array<{ type: string }> };
    };
  }

  const verify = (journey: { journeyId: string; transactionToken: string }, code: string) =>
    journeyStep(t, journey.journeyId, 'totp/verify', { transactionToken: journey.transactionToken, code });

  it('enrols after a fresh step-up, shows the URI once and confirms with the first code', async () => {
    const me = await signIn({ loa2: true });
    const enrolled = await me.POST('/me/totp', {});
    expect(enrolled.response.status).toBe(201);
    const { id, otpauthUri, secret } = enrolled.data!;
    expect(otpauthUri).toMatch(
      /^otpauth:\/\/totp\/CIAM:account\?issuer=CIAM&secret=[A-Z2-7]+&algorithm=SHA1&digits=6&period=30$/,
    );
    credentialId = id;
    totp = new TOTP({ secret: Secret.fromBase32(secret), period: 30, digits: 6, algorithm: 'SHA1' });

    // Sealed at rest: neither the base32 secret nor its bytes are in the row.
    const [row] = await t.dataSource.query(`SELECT secret_sealed FROM totp_credentials WHERE id = $1`, [id]);
    expect((row.secret_sealed as Buffer).includes(Buffer.from(Secret.fromBase32(secret).bytes))).toBe(false);
    expect((row.secret_sealed as Buffer).toString('latin1')).not.toContain(secret);

    // Not a factor before its confirmation.
    expect(await enrolledFactors(t, BOB)).toEqual([]);
    const wrong = await me.POST('/me/totp/{credentialId}/confirm', {
      params: { path: { credentialId: id } },
      body: { code: codeAt(-120) === codeAt() ? '000000' : codeAt(-120) },
    });
    expect(wrong.response.status).toBe(401);
    const confirmed = await me.POST('/me/totp/{credentialId}/confirm', {
      params: { path: { credentialId: id } },
      body: { code: codeAt() },
    });
    expect(confirmed.response.status).toBe(204);
    expect(await enrolledFactors(t, BOB)).toEqual([expect.objectContaining({ kind: 'totp', id, revocable: true })]);
    expect((await auditEvents(t, { cupid: BOB, type: 'totp.enrolled' })).length).toBe(1);
    const sms = (await (await fetch(`${t.baseUrl}/dev/sms-outbox`)).json()) as Array<{ to: string; text: string }>;
    expect(sms[0]).toMatchObject({ to: '+447700900002', text: 'CIAM: a sign-in method was added' });
  });

  it('signs in with a code instead of the SMS; the same code is refused in another journey (replay)', async () => {
    t.clock.advance(30); // the next time step: the confirmation used the current one
    const first = await atSecondFactor();
    expect(first.nextStep.options?.map((option) => option.type)).toEqual(expect.arrayContaining(['SMS_OTP', 'TOTP']));
    const code = codeAt();
    const done = await verify(first, code);
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ status: 'COMPLETED' });
    expect(await auditEvents(t, { cupid: BOB, type: 'totp.verified' })).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ credentialId }) }),
    ]);

    const second = await atSecondFactor();
    const replay = await verify(second, code);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ type: 'urn:ciam:problem:otp-invalid', attemptsLeft: 4 });
  });

  it('accepts a fresh code once when two journeys race with it', async () => {
    t.clock.advance(60); // useTestApp resets the clock after each spec: two steps past the confirmation
    const [a, b] = await Promise.all([atSecondFactor(), atSecondFactor()]);
    const code = codeAt();
    const answers = await Promise.all([verify(a, code), verify(b, code)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401]);
  });

  it('allows one step of drift, never a step already passed', async () => {
    t.clock.advance(120);
    const journey = await atSecondFactor();
    // The code of the step before (a phone clock 30 s behind) is still accepted...
    expect((await verify(journey, codeAt(-30))).status).toBe(200);
    // ...and after it, that step and the ones before are spent (the race above used the one 60 s back).
    const again = await atSecondFactor();
    expect((await verify(again, codeAt(-60))).status).toBe(401);
  });

  it('removing it needs a fresh authentication at loa2 now that bob has a factor', async () => {
    const me = await signIn();
    const refused = await me.DELETE('/me/totp/{credentialId}', { params: { path: { credentialId } } });
    expect(refused.response.status).toBe(403);
    expect(refused.error).toMatchObject({ type: 'urn:ciam:problem:step-up-required' });
    expect(await enrolledFactors(t, BOB)).toHaveLength(1);
  });
});
