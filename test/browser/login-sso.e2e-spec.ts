import { useTestApp } from '../support/app';
import { useBrowser } from '../support/browser';
import { useDirectoryAndSmsGateway } from '../support/sms-gateway';
import { lastSmsCode, LoginPage, useRelyingParty } from './login-support';

/**
 * Issue 15 through the hosted login page in a real chromium: login_hint prefills the username; the browser's
 * provider session cookie lets the next authorization request come straight back with a code (SSO, no page);
 * acr_values loa2 opens the page at the SMS code, never the password, and raises the same session.
 */
describe('hosted login page: single sign-on and step-up', () => {
  // First, so that its afterAll closes the browser (and its connections) before the app stops, even after a failure.
  const browser = useBrowser();
  const { gateway, env } = useDirectoryAndSmsGateway();
  const t = useTestApp({ env });
  const rp = useRelyingParty(t);

  it('prefills the login_hint, then signs in again without a page, then steps up with only the SMS code', async () => {
    const context = await browser().newContext({ locale: 'en-GB' });
    const login = await LoginPage.open(context, 'sso');
    const first = await rp.authorizationRequest({ login_hint: 'alice' });
    await login.page.goto(first.url);
    await login.heading('Sign in to CIAM');
    await expect(login.page.getByLabel('Username', { exact: true }).inputValue()).resolves.toBe('alice');
    await login.password('alice', 'alice-password');
    await login.backAt(rp);
    const { claims } = await first.outcome;
    expect(claims).toMatchObject({ sub: 'CUPID-ALICE-0001', acr: 'urn:ciam:loa:1' });
    const cookies = await context.cookies(t.baseUrl);
    expect(cookies).toEqual([
      expect.objectContaining({ name: 'ciam_session', httpOnly: true, sameSite: 'Lax', path: '/' }),
    ]);

    // SSO: the same browser is sent back with a code; the login page never shows.
    const second = await rp.authorizationRequest();
    await login.page.goto(second.url);
    await login.backAt(rp);
    const again = await second.outcome;
    expect(again.claims).toMatchObject({ sub: 'CUPID-ALICE-0001', sid: claims.sid });

    // Step-up: the page opens at the second factor; the password is not asked again.
    const third = await rp.authorizationRequest({ acr_values: 'urn:ciam:loa:2' });
    await login.page.goto(third.url);
    await login.heading('Confirm with a text message');
    await expect(login.page.getByLabel('Password', { exact: true }).count()).resolves.toBe(0);
    await login.page.getByRole('button', { name: 'Send code' }).click();
    await login.heading('Enter the code');
    await login.page.getByLabel('Code', { exact: true }).fill(lastSmsCode(gateway.requests));
    await login.page.getByRole('button', { name: 'Confirm' }).click();
    await login.backAt(rp);
    const raised = await third.outcome;
    expect(raised.claims).toMatchObject({ sid: claims.sid, acr: 'urn:ciam:loa:2', amr: ['pwd', 'otp', 'sms'] });
    expect(login.consoleErrors).toEqual([]);
    await context.close();
  });
});
