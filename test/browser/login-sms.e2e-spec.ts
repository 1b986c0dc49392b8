import { useTestApp } from '../support/app';
import { useBrowser } from '../support/browser';
import { useDirectoryAndSmsGateway } from '../support/sms-gateway';
import { lastSmsCode, LoginPage, useRelyingParty } from './login-support';

/**
 * Scenarios 2 and 3 through the hosted login page: bob needs a second factor; the page sends the SMS code,
 * takes a wrong one (attempts left), waits out the resend cool-down, resends (the old code dies) and
 * completes with the new code; and too many wrong codes end the journey.
 */
describe('hosted login page: SMS code', () => {
  // First, so that its afterAll closes the browser (and its connections) before the app stops, even after a failure.
  const browser = useBrowser();
  const { gateway, env } = useDirectoryAndSmsGateway({ OTP_RESEND_COOLDOWN_SECONDS: '2', OTP_MAX_ATTEMPTS: '3' });
  const t = useTestApp({ env });
  const rp = useRelyingParty(t);

  async function toCodeScreen(scenario: string) {
    const context = await browser().newContext({ locale: 'en-GB' });
    const login = await LoginPage.open(context, scenario);
    const { url, outcome } = await rp.authorizationRequest();
    await login.page.goto(url);
    await login.heading('Sign in to CIAM');
    await login.password('bob', 'bob-password');
    await login.heading('Confirm with a text message');
    await expect(login.page.getByText('Text a code to +44•••••002').isVisible()).resolves.toBe(true);
    await login.shot('send-code');
    const sent = gateway.requests.length;
    await login.page.getByRole('button', { name: 'Send code' }).click();
    await login.heading('Enter the code');
    expect(gateway.requests.length).toBe(sent + 1);
    await expect(login.page.evaluate(() => document.activeElement?.id)).resolves.toBe('code');
    return { context, login, outcome };
  }

  it('scenarios 2 and 3: a wrong code, a resend after the cool-down, then the new code; amr pwd otp sms', async () => {
    const { context, login, outcome } = await toCodeScreen('s2-s3');
    const firstCode = lastSmsCode(gateway.requests);
    const code = login.page.getByLabel('Code', { exact: true });
    const resend = login.page.locator('#resend');
    await expect(resend.isDisabled()).resolves.toBe(true); // the cool-down runs
    await expect(resend.textContent()).resolves.toMatch(/^Send a new code \(in \d s\)$/);
    await login.shot('code');

    await code.fill(firstCode === '000000' ? '111111' : '000000');
    await login.page.getByRole('button', { name: 'Confirm' }).click();
    await login.page.locator('#code-error').getByText('That code is not right. Attempts left: 2.').waitFor();
    await expect(code.getAttribute('aria-invalid')).resolves.toBe('true');
    await login.shot('wrong-code');

    await login.page.waitForFunction(() => !(document.getElementById('resend') as HTMLButtonElement).disabled);
    await resend.click();
    await login.page.getByRole('status').getByText('We sent a new code. The earlier one no longer works.').waitFor();
    const secondCode = lastSmsCode(gateway.requests);
    expect(secondCode).not.toBe(firstCode);
    await login.shot('resent');

    await code.fill(secondCode);
    await login.page.getByRole('button', { name: 'Confirm' }).click();
    await login.backAt(rp);
    const { claims } = await outcome;
    expect(claims).toMatchObject({ sub: 'CUPID-BOB-0002', amr: ['pwd', 'otp', 'sms'], acr: 'urn:ciam:loa:2' });
    expect(login.consoleErrors).toEqual([]);
    await context.close();
  });

  it('scenario 3: the last wrong code ends the journey; the page says so and offers the way back', async () => {
    const { context, login } = await toCodeScreen('s3-failed');
    const code = login.page.getByLabel('Code', { exact: true });
    const wrong = lastSmsCode(gateway.requests) === '000000' ? '111111' : '000000';
    for (const left of [2, 1]) {
      await code.fill(wrong);
      await login.page.getByRole('button', { name: 'Confirm' }).click();
      await login.page.locator('#code-error').getByText(`Attempts left: ${left}.`, { exact: false }).waitFor();
    }
    await code.fill(wrong);
    await login.page.getByRole('button', { name: 'Confirm' }).click();
    await login.heading('This sign-in cannot continue');
    await expect(login.page.getByRole('alert').textContent()).resolves.toBe(
      'Too many failed attempts, or this sign-in cannot continue.',
    );
    await login.shot('failed');
    const [journey] = await t.dataSource.query(
      `SELECT status FROM auth_contexts WHERE cupid = 'CUPID-BOB-0002' ORDER BY created_at DESC LIMIT 1`,
    );
    expect(journey.status).toBe('FAILED');
    await context.close();
  });
});
