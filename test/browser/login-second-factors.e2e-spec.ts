import { Secret, TOTP } from 'otpauth';
import { useTestApp } from '../support/app';
import { useBrowser } from '../support/browser';
import { ciamClient } from '../support/client';
import { completeLogin, exchangeCode, registerStandardClients } from '../support/oauth';
import { CustomerEmailsRepository } from '../../src/mfa/email/customer-emails.repository';
import { LoginPage, useRelyingParty } from './login-support';

/**
 * Issue 17 through the hosted login page: bob (the development directory: MFA required, a phone) has an
 * authenticator app and recovery codes, enrolled through the API as the account pages would; at the second factor
 * the page offers them beside the SMS, each as one input and a submit. The TOTP codes are made with otpauth from
 * the secret the enrolment answered, as the app on the customer's phone would. Last, bob's verified address makes
 * the email code one more choice (the development email outbox holds what was sent).
 */
describe('hosted login page: authenticator app, recovery codes and email codes', () => {
  // First, so that its afterAll closes the browser (and its connections) before the app stops, even after a failure.
  const browser = useBrowser();
  const t = useTestApp({}, registerStandardClients);
  const rp = useRelyingParty(t);
  const BOB = 'CUPID-BOB-0002';
  let totp: TOTP;
  let recoveryCodes: string[];
  /** The code that confirmed the enrolment: its time step is used, so the service refuses it from then on. */
  let spentCode: string;
  const codeAt = (offsetSeconds = 0) => totp.generate({ timestamp: t.clock.now().getTime() + offsetSeconds * 1000 });

  beforeAll(async () => {
    // A fresh loa2 session's access token: what enrolling under /me asks for (FreshAuthGuard).
    const login = await completeLogin(t, { cupid: BOB });
    await t.dataSource.query(`UPDATE sessions SET acr = 'urn:ciam:loa:2' WHERE id = $1`, [login.sessionId]);
    const tokens = (await (await exchangeCode(t, login)).json()) as { access_token: string };
    const me = ciamClient(t, { authorization: `Bearer ${tokens.access_token}` });
    const enrolled = await me.POST('/me/totp', {});
    expect(enrolled.response.status).toBe(201);
    totp = new TOTP({ secret: Secret.fromBase32(enrolled.data!.secret), period: 30, digits: 6, algorithm: 'SHA1' });
    spentCode = codeAt();
    const confirmed = await me.POST('/me/totp/{credentialId}/confirm', {
      params: { path: { credentialId: enrolled.data!.id } },
      body: { code: spentCode },
    });
    expect(confirmed.response.status).toBe(204);
    const generated = await me.POST('/me/recovery-codes', {});
    expect(generated.response.status).toBe(201);
    recoveryCodes = generated.data!.codes;
  });

  async function toChoice(scenario: string) {
    const context = await browser().newContext({ locale: 'en-GB' });
    const login = await LoginPage.open(context, scenario);
    const { url, outcome } = await rp.authorizationRequest();
    await login.page.goto(url);
    await login.heading('Sign in to CIAM');
    await login.password('bob', 'bob-password');
    await login.heading("Confirm it's you");
    for (const name of [
      'Text a code to +44•••••002',
      'Enter a code from your authenticator app',
      'Use a recovery code',
    ])
      await expect(login.page.getByRole('button', { name }).isVisible()).resolves.toBe(true);
    await login.shot('choose');
    return { context, login, outcome };
  }

  it('signs in with a code from the authenticator app; amr pwd otp, loa2', async () => {
    const { context, login, outcome } = await toChoice('totp');
    await login.page.getByRole('button', { name: 'Enter a code from your authenticator app' }).click();
    await login.heading('Enter the code from your app');
    await expect(login.page.evaluate(() => document.activeElement?.id)).resolves.toBe('code');
    const code = login.page.getByLabel('Code', { exact: true });

    // The code used to confirm the app is spent: the page shows the refusal and the attempts left. (The very code,
    // not the current window's: the clock runs, and a 30 s step may have begun since the enrolment.)
    await code.fill(spentCode);
    await login.page.getByRole('button', { name: 'Confirm' }).click();
    await login.page.locator('#code-error').getByText('That code is not right. Attempts left: 4.').waitFor();
    await expect(code.getAttribute('aria-invalid')).resolves.toBe('true');
    await login.shot('wrong-code');

    // The app's next code (one step of drift is allowed).
    await code.fill(codeAt(30));
    await login.page.getByRole('button', { name: 'Confirm' }).click();
    await login.backAt(rp);
    const { claims } = await outcome;
    expect(claims).toMatchObject({ sub: BOB, amr: ['pwd', 'otp'], acr: 'urn:ciam:loa:2' });
    expect(login.consoleErrors).toEqual([]);
    await context.close();
  });

  it('signs in with a recovery code (used once); the way back to the other factors stays open', async () => {
    const { context, login, outcome } = await toChoice('recovery');
    await login.page.getByRole('button', { name: 'Use a recovery code' }).click();
    await login.heading('Use a recovery code');
    const code = login.page.getByLabel('Recovery code', { exact: true });

    // Checked on the page first: not the shape of a recovery code.
    await code.fill('12345');
    await login.page.getByRole('button', { name: 'Confirm' }).click();
    await login.page
      .locator('#code-error')
      .getByText(/10 letters and digits/)
      .waitFor();

    // "Choose another way" goes back to the choice with the same token, and back again.
    await login.page.getByRole('button', { name: 'Choose another way' }).click();
    await login.heading("Confirm it's you");
    await login.page.getByRole('button', { name: 'Use a recovery code' }).click();
    await login.heading('Use a recovery code');

    // Lower case and without the dash: the service ignores both.
    await code.fill(recoveryCodes[0].replace('-', '').toLowerCase());
    await login.shot('recovery-code');
    await login.page.getByRole('button', { name: 'Confirm' }).click();
    await login.backAt(rp);
    const { claims } = await outcome;
    expect(claims).toMatchObject({ sub: BOB, acr: 'urn:ciam:loa:2' });
    const [used] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM recovery_codes WHERE cupid = $1 AND used_at IS NOT NULL`,
      [BOB],
    );
    expect(used.n).toBe(1);
    expect(login.consoleErrors).toEqual([]);
    await context.close();
  });

  it('signs in with a code sent to the verified email address', async () => {
    await t.app
      .get(CustomerEmailsRepository)
      .upsertVerified(t.dataSource.manager, BOB, 'bob.browser@example.test', t.clock.now());
    const { context, login, outcome } = await toChoice('email');
    await login.page.getByRole('button', { name: 'Email a code to b***@example.test' }).click();
    await login.heading('Enter the code');
    await login.page.getByRole('status').getByText('We emailed a code to b***@example.test.').waitFor();
    await expect(login.page.getByText('The 6-digit code we emailed to b***@example.test.').isVisible()).resolves.toBe(
      true,
    );
    await login.shot('email-code');
    const outbox = (await (await fetch(`${t.baseUrl}/dev/email-outbox`)).json()) as Array<{ to: string; text: string }>;
    expect(outbox[0].to).toBe('bob.browser@example.test');
    const code = /is (\d{6})/.exec(outbox[0].text)![1];
    await login.page.getByLabel('Code', { exact: true }).fill(code);
    await login.page.getByRole('button', { name: 'Confirm' }).click();
    await login.backAt(rp);
    const { claims } = await outcome;
    expect(claims).toMatchObject({ sub: BOB, amr: ['pwd', 'otp'], acr: 'urn:ciam:loa:2' });
    expect(login.consoleErrors).toEqual([]);
    await context.close();
  });
});
