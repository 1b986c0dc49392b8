import * as oidc from 'openid-client';
import { useTestApp } from '../support/app';
import { useBrowser } from '../support/browser';
import { Slapd, startSlapd } from '../support/slapd';
import { useWorkforceIdp } from '../support/workforce';
import { LoginPage, useRelyingParty } from './login-support';

/**
 * Scenario 1 (and 6) through the hosted login page in a real chromium: an openid-client relying party sends
 * the browser to /oauth2/authorize, the page takes a wrong password and then the right one, and the relying
 * party exchanges the code and refreshes. Also: the page in German, and a locked account's message.
 */
describe('hosted login page: password', () => {
  // First, so that its afterAll closes the browser (and its connections) before the app stops, even after a failure.
  const browser = useBrowser();
  let slapd: Slapd;
  const { idp, env } = useWorkforceIdp();
  beforeAll(async () => {
    slapd = await startSlapd();
    // A small lockout threshold, so one test can show the locked-out message.
    Object.assign(env, slapd.env, { LOCKOUT_THROTTLE_AFTER: '3', LOCKOUT_LOCK_AFTER: '3' });
  });
  afterAll(() => slapd.stop());
  const t = useTestApp({ env });
  const rp = useRelyingParty(t);

  it('scenario 1: a wrong password, then the right one; the relying party gets tokens with amr pwd and refreshes them', async () => {
    const context = await browser().newContext({ locale: 'en-GB' });
    const login = await LoginPage.open(context, 's1');
    const { url, outcome } = await rp.authorizationRequest({ scope: 'openid profile offline_access' });
    await login.page.goto(url);
    await login.heading('Sign in to CIAM');
    // Focus lands on the first field of the step, and the page says what it is in its title.
    await expect(login.page.evaluate(() => document.activeElement?.id)).resolves.toBe('username');
    expect(login.page.url()).toBe(`${t.baseUrl}/login`); // the journey's tokens left the address bar

    await login.password('alice', 'not-her-password');
    const alert = login.page.getByRole('alert');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toBe('The username or password is incorrect. Attempts left: 4.');
    await expect(login.page.evaluate(() => document.activeElement?.id)).resolves.toBe('password');
    await login.shot('wrong-password');

    // Keyboard only: the password field has focus; type and press Enter.
    await login.page.keyboard.type('alice-password');
    await login.page.keyboard.press('Enter');
    await login.backAt(rp);
    const { tokens, claims } = await outcome;
    expect(claims).toMatchObject({ sub: 'CUPID-ALICE-0001', amr: ['pwd'], acr: 'urn:ciam:loa:1' });
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const rejected = await t.dataSource.query(
      `SELECT details->>'reason' AS reason FROM audit_logs WHERE event_type = 'credentials.rejected' AND cupid = 'CUPID-ALICE-0001'`,
    );
    expect(rejected).toEqual([{ reason: 'invalid' }]);

    // Scenario 6: the relying party refreshes; the new refresh token is another one (rotation).
    const refreshed = await oidc.refreshTokenGrant(rp.configuration, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(login.consoleErrors).toEqual([]);
    await context.close();
  });

  it('scenario 7: a support agent revokes the session the browser opened; the relying party’s tokens die at once', async () => {
    const context = await browser().newContext({ locale: 'en-GB' });
    const login = await LoginPage.open(context, 's7');
    const { url, outcome } = await rp.authorizationRequest({ scope: 'openid profile offline_access' });
    await login.page.goto(url);
    await login.heading('Sign in to CIAM');
    await login.password('alice', 'alice-password');
    await login.backAt(rp);
    const { tokens, claims } = await outcome;
    await expect(oidc.fetchUserInfo(rp.configuration, tokens.access_token, claims.sub)).resolves.toMatchObject({
      sub: 'CUPID-ALICE-0001',
    });

    const revoked = await fetch(`${t.baseUrl}/agent/customers/CUPID-ALICE-0001/sessions/${String(claims.sid)}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await idp.token()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'Customer reports a stolen laptop (INC-7)' }),
    });
    expect(revoked.status).toBe(200);
    await expect(oidc.fetchUserInfo(rp.configuration, tokens.access_token, claims.sub)).rejects.toThrow();
    await expect(oidc.refreshTokenGrant(rp.configuration, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await context.close();
  });

  it('speaks German to a German browser or when the relying party asks (ui_locales), and says when there is no journey', async () => {
    const context = await browser().newContext({ locale: 'de-DE' });
    const login = await LoginPage.open(context, 'de');
    const { url } = await rp.authorizationRequest();
    await login.page.goto(url);
    await login.heading('Bei CIAM anmelden');
    await expect(login.page.getAttribute('html', 'lang')).resolves.toBe('de');
    await expect(login.page.getByLabel('Benutzername', { exact: true }).isVisible()).resolves.toBe(true);
    await login.shot('password');

    await login.page.goto(`${t.baseUrl}/login`);
    await login.heading('Keine Anmeldung offen');
    await context.close();

    // The relying party's ui_locales (OIDC Core §3.1.2.1) wins over the browser's languages.
    const english = await browser().newContext({ locale: 'en-GB' });
    const page = await english.newPage();
    await page.goto((await rp.authorizationRequest({ ui_locales: 'de-CH en' })).url);
    await page.getByRole('heading', { level: 1, name: 'Bei CIAM anmelden' }).waitFor();
    await english.close();
  });

  it('shows the lockout with its wait (429 with Retry-After) after too many wrong passwords', async () => {
    const context = await browser().newContext({ locale: 'en-GB' });
    const login = await LoginPage.open(context, 'locked');
    const { url } = await rp.authorizationRequest();
    await login.page.goto(url);
    await login.heading('Sign in to CIAM');
    const alert = login.page.getByRole('alert');
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      await login.page.getByLabel('Username', { exact: true }).fill('alice');
      await login.page.getByLabel('Password', { exact: true }).fill(`wrong-${attempt}`);
      await login.page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await login.page.waitForFunction(
        (n) => document.querySelector('[role=alert]')?.textContent?.includes(`${5 - n}.`),
        attempt,
      );
    }
    await login.page.getByLabel('Password', { exact: true }).fill('alice-password');
    await login.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await login.page.waitForFunction(() => document.querySelector('[role=alert]')?.textContent?.startsWith('Too many'));
    await expect(alert.textContent()).resolves.toMatch(
      /^Too many failed attempts: sign-in is locked for now\. Try again in \d+ minutes\.$/,
    );
    await login.shot('locked');
    await context.close();
  });
});
