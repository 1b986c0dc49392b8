import { useTestApp } from '../support/app';
import { useBrowser } from '../support/browser';
import { useDirectoryAndSmsGateway } from '../support/sms-gateway';
import { lastSmsCode, LoginPage, useRelyingParty } from './login-support';

const NEW_PASSWORD = 'a brand new passphrase 42';

/**
 * Forgot password through the hosted login page (issue 17, item 6): from the password screen, a reset journey
 * for the same client; the username, an SMS code (the choice offers the registered factors), a new password
 * the policy refuses (the rules shown), then one it takes; the page goes back to the sign-in, where bob signs
 * in with the new password and his second factor.
 */
describe('hosted login page: forgot password', () => {
  // First, so that its afterAll closes the browser (and its connections) before the app stops, even after a failure.
  const browser = useBrowser();
  const { gateway, env } = useDirectoryAndSmsGateway();
  const t = useTestApp({ env });
  const rp = useRelyingParty(t);

  it('resets by an SMS code, shows a policy refusal, then signs in with the new password', async () => {
    const context = await browser().newContext({ locale: 'en-GB' });
    const login = await LoginPage.open(context, 'forgot');
    const { url, outcome } = await rp.authorizationRequest();
    await login.page.goto(url);
    await login.heading('Sign in to CIAM');
    await login.shot('password');
    await login.page.getByRole('button', { name: 'Forgot your password?' }).click();

    await login.heading('Reset your password');
    await login.page.getByLabel('Username', { exact: true }).fill('bob');
    await login.shot('username');
    await login.page.getByRole('button', { name: 'Continue' }).click();

    await login.heading("Confirm it's you");
    await login.page.getByText('Choose how to confirm that you are resetting your password.').waitFor();
    await login.shot('choice');
    // The choice offers the registered factors without a word about the account (no masked phone).
    await expect(login.page.getByText('+44').count()).resolves.toBe(0);
    const sent = gateway.requests.length;
    await login.page.getByRole('button', { name: 'Confirm with a text message' }).click();
    await login.heading('Enter the code');
    expect(gateway.requests.length).toBe(sent + 1);
    await login.page.getByText('The 6-digit code we sent to your phone.').waitFor();
    await login.shot('code');
    await login.page.getByLabel('Code', { exact: true }).fill(lastSmsCode(gateway.requests));
    await login.page.getByRole('button', { name: 'Confirm' }).click();

    await login.heading('Choose a new password');
    const password = login.page.getByLabel('New password', { exact: true });
    await password.fill('password');
    await login.page.getByRole('button', { name: 'Change password' }).click();
    await login.page
      .locator('#new-password-error')
      .getByText(
        'The new password does not meet the password rules. It must have at least 12 characters. It is too common.',
      )
      .waitFor();
    await expect(password.getAttribute('aria-invalid')).resolves.toBe('true');
    await login.shot('policy-refused');

    await password.fill(NEW_PASSWORD);
    await login.page.getByRole('button', { name: 'Change password' }).click();
    await login.heading('Your password was changed');
    await login.shot('changed');
    await login.page.getByRole('button', { name: 'Sign in', exact: true }).click();

    await login.heading('Sign in to CIAM');
    await login.password('bob', NEW_PASSWORD);
    await login.heading('Confirm with a text message');
    await login.page.getByRole('button', { name: 'Send code' }).click();
    await login.heading('Enter the code');
    await login.page.getByLabel('Code', { exact: true }).fill(lastSmsCode(gateway.requests));
    await login.page.getByRole('button', { name: 'Confirm' }).click();
    await login.backAt(rp);
    const { claims } = await outcome;
    expect(claims).toMatchObject({ sub: 'CUPID-BOB-0002', amr: ['pwd', 'otp', 'sms'] });
    expect(login.consoleErrors).toEqual([]);
    await context.close();
  });
});
