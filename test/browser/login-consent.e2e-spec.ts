import { ClientsService } from '../../src/clients/clients.service';
import { useTestApp } from '../support/app';
import { useBrowser } from '../support/browser';
import { useDirectoryAndSmsGateway } from '../support/sms-gateway';
import { LoginPage, useRelyingParty } from './login-support';

/**
 * Issue 16's consent screen on the hosted login page in a real chromium: a third-party application asks for
 * `openid profile`; openid is fixed, profile is the customer's choice (unticked until ticked); Allow brings the
 * browser back with the scopes allowed. Then, under the same session, prompt=consent in German opens the page
 * straight at the consent screen (single sign-on lacking only consent) and Deny sends the browser back with
 * access_denied.
 */
describe('hosted login page: consent for a third-party application', () => {
  const browser = useBrowser();
  const { env } = useDirectoryAndSmsGateway();
  const t = useTestApp({ env });
  const rp = useRelyingParty(t);

  beforeAll(async () => {
    await t.dataSource.query(`UPDATE oauth_clients SET first_party = false WHERE client_id = $1`, [rp.clientId]);
    const clients = t.app.get(ClientsService);
    const deadline = Date.now() + 15_000;
    while ((await clients.findActive(rp.clientId))?.firstParty !== false) {
      if (Date.now() > deadline) throw new Error('the client cache did not hear the change');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  });

  it('asks in plain words, grants what is ticked, and a denial goes back to the application', async () => {
    const context = await browser().newContext({ locale: 'en-GB' });
    const login = await LoginPage.open(context, 'consent');
    const first = await rp.authorizationRequest();
    await login.page.goto(first.url);
    await login.heading('Sign in to CIAM');
    await login.password('alice', 'alice-password');

    await login.heading('Allow Browser test shop access?');
    const openid = login.page.getByLabel(/Sign you in with your bank login/);
    const profile = login.page.getByLabel(/See your name and username/);
    await expect(openid.isChecked()).resolves.toBe(true);
    await expect(openid.isDisabled()).resolves.toBe(true);
    await expect(profile.isChecked()).resolves.toBe(false);
    await expect(login.page.getByText('Shares: Your name, Your username').count()).resolves.toBe(1);
    await profile.check();
    await login.shot('consent');
    await login.page.getByRole('button', { name: 'Allow', exact: true }).click();
    await login.backAt(rp);
    const { tokens } = await first.outcome;
    expect(tokens.scope).toBe('openid profile');

    const second = await rp.authorizationRequest({ prompt: 'consent', ui_locales: 'de' });
    const denied = second.outcome.then(
      () => 'signed in',
      (error: Error) => error.message,
    );
    await login.page.goto(second.url);
    await login.heading('Browser test shop Zugriff erlauben?');
    await expect(login.page.getByLabel(/Ihren Namen und Benutzernamen sehen/).count()).resolves.toBe(1);
    await login.shot('consent-de');
    await login.page.getByRole('button', { name: 'Ablehnen', exact: true }).click();
    await login.page.waitForURL((url) => url.toString().startsWith(rp.redirectUri));
    expect(new URL(login.page.url()).searchParams.get('error')).toBe('access_denied');
    // openid-client refuses the error response: no tokens for a denied request.
    await expect(denied).resolves.toBe('authorization response from the server is an error');
    expect(login.consoleErrors).toEqual([]);
    await context.close();
  });
});
