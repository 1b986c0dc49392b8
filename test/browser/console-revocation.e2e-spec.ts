import { useTestApp } from '../support/app';
import { screenshot, useBrowser } from '../support/browser';
import { introspect, refresh, registerStandardClients } from '../support/oauth';
import { CONSOLE_CLIENT_ID, useWorkforceIdp } from '../support/workforce';
import { consoleContext, consoleErrors, customerSignsIn, openCustomer, unnamedControls } from './console-support';

/**
 * Issue 18, items 4 and 5: a support agent signs in to /console through the workforce identity provider
 * (OpenID Connect code + PKCE from the browser), finds a customer who is signed in elsewhere, revokes that
 * session with a reason, and the customer's tokens die at once; the console's audit view shows who and why.
 */
describe('agent console: sign-in through the workforce IdP, then a session revoked', () => {
  const { idp, env } = useWorkforceIdp();
  const t = useTestApp({ env }, async (app) => {
    await registerStandardClients(app);
    idp.redirectUris.add(`${app.baseUrl}/console`);
  });
  const browser = useBrowser();

  it("revokes the customer's session with a reason, and the session's tokens stop working at once", async () => {
    const laptop = await customerSignsIn(t, 'alice', 'alice-password', 'Console-Test Laptop Browser');
    const phone = await customerSignsIn(t, 'alice', 'alice-password', 'Console-Test Phone App');
    const context = await consoleContext(browser());
    const page = await context.newPage();
    const errors = consoleErrors(page);

    await page.goto(`${t.baseUrl}/console`);
    await page.getByRole('button', { name: 'Sign in with your workforce account' }).click();
    // At the identity provider: its own sign-in form.
    await page.getByLabel('Workforce user name').fill('agent-007');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back at the console, signed in; the code and state are gone from the address bar.
    await page.getByRole('heading', { name: 'Find a customer' }).waitFor();
    await expect(page.locator('#who').textContent()).resolves.toBe('Signed in as Jane Agent (agent-007)');
    expect(page.url()).toBe(`${t.baseUrl}/console`);
    // A public client: the code was redeemed with its PKCE verifier and no secret.
    expect(idp.tokenRequests).toHaveLength(1);
    expect(Object.fromEntries(idp.tokenRequests[0])).toEqual({
      grant_type: 'authorization_code',
      code: expect.any(String),
      redirect_uri: `${t.baseUrl}/console`,
      client_id: CONSOLE_CLIENT_ID,
      code_verifier: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    // The agent's token lives in this tab's sessionStorage only.
    await expect(page.evaluate(() => localStorage.length)).resolves.toBe(0);

    await openCustomer(page, 'CUPID-ALICE-0001', 'Customer reports a stolen laptop (INC-7)');
    const laptopRow = page.locator('tr[data-session-id]', { hasText: 'Console-Test Laptop Browser' });
    await laptopRow.waitFor();
    await expect(page.locator('tr[data-session-id]').count()).resolves.toBe(2);
    await screenshot(page, 'console-sessions');

    await laptopRow.getByRole('button', { name: /^Revoke the session/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Revoke this session' }).waitFor();
    // No reason, no revocation.
    await dialog.locator('#reason-confirm').click();
    await expect(dialog.locator('#reason-error').textContent()).resolves.toBe('State a reason of 5 to 500 characters.');
    expect((await introspect(t, laptop.access_token)).active).toBe(true);
    await dialog.getByLabel('Reason').fill('Stolen laptop, customer verified on the phone (INC-7)');
    await screenshot(page, 'console-revoke-reason');
    await dialog.locator('#reason-confirm').click();
    await page.getByRole('status').filter({ hasText: 'Session revoked.' }).waitFor();
    await expect(laptopRow.textContent()).resolves.toContain(
      'Revoked by AGENT:agent-007: Stolen laptop, customer verified on the phone (INC-7)',
    );

    // The customer's tokens are dead at once, everywhere.
    expect(await introspect(t, laptop.access_token)).toEqual({ active: false });
    expect(await introspect(t, laptop.refresh_token)).toEqual({ active: false });
    const refused = await refresh(t, laptop.refresh_token);
    expect(refused.status).toBe(400);
    expect((await refused.json()).error).toBe('invalid_grant');
    const userinfo = await fetch(`${t.baseUrl}/oauth2/userinfo`, {
      headers: { authorization: `Bearer ${laptop.access_token}` },
    });
    expect(userinfo.status).toBe(401);
    // The other session is untouched.
    expect(await introspect(t, phone.access_token)).toMatchObject({ active: true });

    // The audit view shows the revocation, by this agent, with the reason.
    await page.getByRole('tab', { name: 'Audit trail' }).click();
    await page.getByLabel('Event types').fill('session.revoked');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const revokedEvents = page.locator('tr[data-event-type]');
    await page.locator('tr[data-event-type="session.revoked"]').waitFor();
    await expect(revokedEvents.count()).resolves.toBe(1);
    const row = await revokedEvents.first().textContent();
    expect(row).toContain('AGENT: agent-007');
    expect(row).toContain('reason: Stolen laptop, customer verified on the phone (INC-7)');
    await screenshot(page, 'console-audit');
    await expect(unnamedControls(page)).resolves.toEqual([]);

    // Every read the console made was audited with the reason the agent stated.
    const views = await t.dataSource.query(
      `SELECT actor_id, details FROM audit_logs WHERE event_type = 'agent.viewed' ORDER BY created_at`,
    );
    expect(views).toEqual([
      { actor_id: 'agent-007', details: { what: 'sessions', reason: 'Customer reports a stolen laptop (INC-7)' } },
      { actor_id: 'agent-007', details: { what: 'audit', reason: 'Customer reports a stolen laptop (INC-7)' } },
      { actor_id: 'agent-007', details: { what: 'audit', reason: 'Customer reports a stolen laptop (INC-7)' } },
    ]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('refuses an answer from the IdP that this tab did not ask for (state), and redeems nothing', async () => {
    const context = await consoleContext(browser());
    const page = await context.newPage();
    const before = idp.tokenRequests.length;
    await page.goto(`${t.baseUrl}/console?code=stolen-code&state=forged-state`);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('does not belong to this sign-in');
    await page.getByRole('button', { name: 'Sign in with your workforce account' }).waitFor();
    expect(idp.tokenRequests.length).toBe(before);
    await context.close();
  });

  it('sends the agent back to sign-in when the API refuses the token', async () => {
    const context = await consoleContext(browser());
    const page = await context.newPage();
    await page.goto(`${t.baseUrl}/console`);
    // A session whose token the API does not accept (an expired one).
    const expired = await idp.token({ expiresIn: '-5m' });
    await page.evaluate(
      (token) =>
        sessionStorage.setItem(
          'ciam-console.session',
          JSON.stringify({
            accessToken: token,
            agent: 'agent-007',
            displayName: 'Jane Agent',
            expiresAt: Date.now() + 3600_000,
            method: 'oidc',
          }),
        ),
      expired,
    );
    await page.reload();
    await page.getByLabel('Customer id (CUPID)').fill('CUPID-ALICE-0001');
    await page.getByLabel('Reason for access').fill('Checking an old sign-in');
    await page.getByRole('button', { name: 'Open customer' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('Your sign-in has ended. Sign in again.');
    await page.getByRole('button', { name: 'Sign in with your workforce account' }).waitFor();
    await expect(page.evaluate(() => sessionStorage.getItem('ciam-console.session'))).resolves.toBeNull();
    await context.close();
  });

  it("serves the console's sign-in settings and a page policy that allows the IdP's token endpoint only", async () => {
    const response = await fetch(`${t.baseUrl}/console`);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`connect-src 'self' ${idp.url};`);
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toContain('unsafe-inline');
    const config = await fetch(`${t.baseUrl}/console/config.json`);
    expect(config.headers.get('cache-control')).toBe('no-store');
    expect(await config.json()).toEqual({
      oidc: {
        clientId: CONSOLE_CLIENT_ID,
        authorizationUrl: `${idp.url}/authorize`,
        tokenUrl: `${idp.url}/token`,
        scope: 'openid profile',
      },
      devSignIn: false,
    });
    // With a real workforce issuer there is no development sign-in.
    const dev = await fetch(`${t.baseUrl}/console/dev-sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agent: 'intruder' }),
    });
    expect(dev.status).toBe(404);
    expect(dev.headers.get('content-type')).toContain('application/problem+json');
  });
});
