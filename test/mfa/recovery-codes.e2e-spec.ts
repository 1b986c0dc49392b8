import { useTestApp } from '../support/app';
import { ciamClient } from '../support/client';
import { journeyStep, startJourney, submitPassword } from '../support/journeys';
import { auditEvents, completeLogin, exchangeCode, registerStandardClients } from '../support/oauth';
import { enrolledFactors } from '../support/factors';

/**
 * Issue 17, item 4: recovery codes. Bob (file directory: MFA required, a phone) generates ten codes after a fresh
 * password login, then signs in with one instead of his phone; a code is used once, also when two journeys race
 * with it; the use is audited and notified by SMS; a new batch voids the old codes.
 */
describe('recovery codes under /me and the RECOVERY_CODE journey step', () => {
  const t = useTestApp({}, registerStandardClients);
  const BOB = 'CUPID-BOB-0002';
  let codes: string[];

  /** A fresh password login; `loa2` raises it the way a completed step-up does. */
  async function signIn(options: { loa2?: boolean; cupid?: string } = {}) {
    const login = await completeLogin(t, { cupid: options.cupid ?? BOB });
    if (options.loa2)
      await t.dataSource.query(`UPDATE sessions SET acr = 'urn:ciam:loa:2' WHERE id = $1`, [login.sessionId]);
    const tokens = (await (await exchangeCode(t, login)).json()) as { access_token: string };
    return ciamClient(t, { authorization: `Bearer ${tokens.access_token}` });
  }

  async function atSecondFactor() {
    const journey = await startJourney(t);
    const answer = await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password');
    return (await answer.json()) as {
      journeyId: string;
      transactionToken: string;
      nextStep: { options?: Array<{ type: string }> };
    };
  }

  const useCode = (journey: { journeyId: string; transactionToken: string }, code: string) =>
    journeyStep(t, journey.journeyId, 'recovery-code', { transactionToken: journey.transactionToken, code });

  const smsOutbox = async () =>
    (await (await fetch(`${t.baseUrl}/dev/sms-outbox`)).json()) as Array<{ to: string; text: string }>;

  it('generates ten codes, shown once and stored only as hashes', async () => {
    const generated = await (await signIn({ loa2: true })).POST('/me/recovery-codes', {});
    expect(generated.response.status).toBe(201);
    codes = generated.data!.codes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[A-Z2-9]{5}-[A-Z2-9]{5}$/);
    const rows = await t.dataSource.query(`SELECT code_hash FROM recovery_codes WHERE cupid = $1`, [BOB]);
    expect(rows).toHaveLength(10);
    const stored = JSON.stringify(rows);
    for (const code of codes) expect(stored).not.toContain(code.replace('-', ''));
    expect(await enrolledFactors(t, BOB)).toEqual([
      expect.objectContaining({ kind: 'recovery_codes', label: '10 of 10 codes left' }),
    ]);
    expect(JSON.stringify(await auditEvents(t, { cupid: BOB }))).not.toContain(codes[0]);
  });

  it('signs in with a code (any case, without the dash); the use is audited and notified; it works once', async () => {
    const journey = await atSecondFactor();
    expect(journey.nextStep.options?.map((option) => option.type)).toContain('RECOVERY_CODE');
    const done = await useCode(journey, codes[0].toLowerCase().replace('-', ''));
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ status: 'COMPLETED' });
    expect(await auditEvents(t, { cupid: BOB, type: 'recovery_code.used' })).toEqual([
      expect.objectContaining({ outcome: 'SUCCESS', details: expect.objectContaining({ codesLeft: 9 }) }),
    ]);
    // The notice leaves after the journey's transaction (setImmediate): wait for it, generously.
    for (let i = 0; i < 50 && !(await smsOutbox()).some((sms) => sms.text === 'CIAM: a recovery code was used'); i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await smsOutbox()).find((sms) => sms.text === 'CIAM: a recovery code was used')).toMatchObject({
      to: '+447700900002',
    });

    const again = await useCode(await atSecondFactor(), codes[0]);
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ type: 'urn:ciam:problem:otp-invalid', attemptsLeft: 4 });
  });

  it('a customer with no second factor at all may enrol after a fresh password login (loa1), then no more', async () => {
    // A CUPID with no phone and no factor of any kind (FreshAuthGuard: nothing to step up with).
    const cupid = 'CUPID-NOFACTOR-0099';
    expect(await enrolledFactors(t, cupid)).toEqual([]);
    const first = await (await signIn({ cupid })).POST('/me/recovery-codes', {});
    expect(first.response.status).toBe(201);
    const second = await (await signIn({ cupid })).POST('/me/recovery-codes', {});
    expect(second.response.status).toBe(403);
    expect(second.error).toMatchObject({ type: 'urn:ciam:problem:step-up-required' });
  });

  it('lets one of two journeys racing with the same code pass', async () => {
    const [a, b] = await Promise.all([atSecondFactor(), atSecondFactor()]);
    const answers = await Promise.all([useCode(a, codes[1]), useCode(b, codes[1])]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401]);
    const [row] = await t.dataSource.query(
      `SELECT count(*)::int AS used FROM recovery_codes WHERE cupid = $1 AND used_at IS NOT NULL`,
      [BOB],
    );
    expect(row.used).toBe(2);
  });

  it('a new batch needs a fresh step-up now, and voids the unused codes of the old one', async () => {
    const weak = await signIn();
    const refused = await weak.POST('/me/recovery-codes', {});
    expect(refused.response.status).toBe(403);
    expect(refused.error).toMatchObject({ type: 'urn:ciam:problem:step-up-required' });

    const login = await completeLogin(t, { cupid: BOB });
    await t.dataSource.query(`UPDATE sessions SET acr = 'urn:ciam:loa:2' WHERE id = $1`, [login.sessionId]);
    const tokens = (await (await exchangeCode(t, login)).json()) as { access_token: string };
    const fresh = ciamClient(t, { authorization: `Bearer ${tokens.access_token}` });
    const renewed = await fresh.POST('/me/recovery-codes', {});
    expect(renewed.response.status).toBe(201);
    const old = await useCode(await atSecondFactor(), codes[2]);
    expect(old.status).toBe(401);
    expect((await useCode(await atSecondFactor(), renewed.data!.codes[0])).status).toBe(200);
    expect(await auditEvents(t, { cupid: BOB, type: 'recovery_codes.generated' })).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ revokedUnused: 0 }) }),
      expect.objectContaining({ details: expect.objectContaining({ revokedUnused: 8 }) }),
    ]);
  });
});
