import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useTestApp } from '../support/app';
import { screenshot, useBrowser } from '../support/browser';
import { newDevice, newMfaFailure } from '../support/factories';
import { introspect, registerStandardClients } from '../support/oauth';
import {
  confirmWithReason,
  consoleContext,
  consoleErrors,
  customerSignsIn,
  openCustomer,
  unnamedControls,
} from './console-support';

/**
 * The console with the development workforce issuer (the default outside production): a development
 * sign-in for a named agent, then the other support actions: revoke all sessions, revoke a device, lift
 * the MFA lock, each with a reason recorded under the agent's name.
 */
describe('agent console: development sign-in and the other support actions', () => {
  // The development key is written next to the JWKS file: a fresh folder, never the checkout's .data/.
  const keys = mkdtempSync(join(tmpdir(), 'console-dev-workforce-'));
  const t = useTestApp(
    { env: { AGENT_ISSUER: 'urn:ciam:dev-workforce', AGENT_JWKS_URL: `file:${join(keys, 'jwks.json')}` } },
    registerStandardClients,
  );
  const browser = useBrowser();
  afterAll(() => rmSync(keys, { recursive: true, force: true }));

  it('signs a named agent in for development, and the agent revokes all sessions, a device and the MFA lock', async () => {
    const first = await customerSignsIn(t, 'alice', 'alice-password', 'Dev-Test Browser One');
    const second = await customerSignsIn(t, 'alice', 'alice-password', 'Dev-Test Browser Two');
    await newDevice(t.dataSource, { cupid: 'CUPID-ALICE-0001', name: 'Pixel 9', platform: 'android' });
    for (let i = 0; i < 3; i++) await newMfaFailure(t.dataSource, { cupid: 'CUPID-ALICE-0001' });
    const context = await consoleContext(browser());
    const page = await context.newPage();
    const errors = consoleErrors(page);

    await page.goto(`${t.baseUrl}/console`);
    // No workforce IdP is configured: only the development sign-in, marked as such.
    await expect(page.getByRole('button', { name: 'Sign in with your workforce account' }).count()).resolves.toBe(0);
    const dev = page.getByRole('form', { name: 'Development sign-in' });
    await expect(dev.textContent()).resolves.toContain('Development only');
    await expect(unnamedControls(page)).resolves.toEqual([]);
    await dev.getByLabel('Agent name').fill('dev-agent-1');
    await screenshot(page, 'console-dev-sign-in');
    await dev.getByRole('button', { name: 'Sign in (development)' }).click();
    await page.getByRole('heading', { name: 'Find a customer' }).waitFor();
    await expect(page.locator('#who').textContent()).resolves.toBe('Signed in as dev-agent-1 (development)');

    await openCustomer(page, 'CUPID-ALICE-0001', 'Development walkthrough (DEV-1)');
    await page.locator('tr[data-session-id]').first().waitFor();
    await page.getByRole('button', { name: 'Revoke all sessions' }).click();
    await confirmWithReason(page, 'Account takeover suspected (DEV-1)');
    await page.getByRole('status').filter({ hasText: 'Sessions revoked: 2.' }).waitFor();
    for (const tokens of [first, second]) expect(await introspect(t, tokens.access_token)).toEqual({ active: false });
    await expect(page.locator('tr[data-session-id] button').count()).resolves.toBe(0);

    await page.getByRole('tab', { name: 'Devices' }).click();
    await page.getByRole('button', { name: 'Revoke the device Pixel 9' }).click();
    await confirmWithReason(page, 'Customer lost the phone (DEV-1)');
    await page.getByRole('status').filter({ hasText: 'Device revoked.' }).waitFor();
    await expect(page.locator('tbody tr').textContent()).resolves.toContain('REVOKED');

    // Keyboard only: from the Devices tab, the arrow key moves to the MFA tab and opens it.
    await page.getByRole('tab', { name: 'Devices' }).focus();
    await page.keyboard.press('ArrowRight');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('MFA');
    await page.getByText('3 of 10 within 24 hours').waitFor();
    await expect(unnamedControls(page)).resolves.toEqual([]);
    await page.getByRole('button', { name: 'Lift the lock and clear wrong codes' }).click();
    await confirmWithReason(page, 'Customer verified at the branch (DEV-1)');
    await page.getByRole('status').filter({ hasText: 'MFA lock lifted.' }).waitFor();
    await page.getByText('0 of 10 within 24 hours').waitFor();
    await screenshot(page, 'console-mfa');
    await expect(page.locator('dl').textContent()).resolves.toContain('AGENT:dev-agent-1');

    const actions = await t.dataSource.query(
      `SELECT event_type, actor_type, actor_id, details->>'reason' AS reason FROM audit_logs
        WHERE event_type IN ('session.revoked', 'device.revoked', 'mfa.unlocked') ORDER BY created_at, event_type`,
    );
    expect(actions).toEqual(
      expect.arrayContaining([
        {
          event_type: 'session.revoked',
          actor_type: 'AGENT',
          actor_id: 'dev-agent-1',
          reason: 'Account takeover suspected (DEV-1)',
        },
        {
          event_type: 'device.revoked',
          actor_type: 'AGENT',
          actor_id: 'dev-agent-1',
          reason: 'Customer lost the phone (DEV-1)',
        },
        {
          event_type: 'mfa.unlocked',
          actor_type: 'AGENT',
          actor_id: 'dev-agent-1',
          reason: 'Customer verified at the branch (DEV-1)',
        },
      ]),
    );
    expect(actions.every((row: { actor_id: string }) => row.actor_id === 'dev-agent-1')).toBe(true);

    // Signing out forgets the token: the tab is back at the sign-in page.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('status').filter({ hasText: 'You are signed out.' }).waitFor();
    await page.getByRole('form', { name: 'Development sign-in' }).waitFor();
    await expect(page.evaluate(() => sessionStorage.getItem('ciam-console.session'))).resolves.toBeNull();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('refuses a development sign-in for a malformed agent name, and the token it mints opens the agent API', async () => {
    const bad = await fetch(`${t.baseUrl}/console/dev-sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agent: '<script>' }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].field).toBe('agent');
    const crossSite = await fetch(`${t.baseUrl}/console/dev-sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site', origin: 'http://localhost:5173' },
      body: JSON.stringify({ agent: 'dev-agent-2' }),
    });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.text()).not.toContain('accessToken');
    const good = await fetch(`${t.baseUrl}/console/dev-sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agent: 'dev-agent-2' }),
    });
    expect(good.status).toBe(200);
    const body = await good.json();
    expect(body).toEqual({
      accessToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: 3600,
      agent: 'dev-agent-2',
    });
    const listed = await fetch(
      `${t.baseUrl}/agent/customers/CUPID-ALICE-0001/devices?reason=checking%20the%20dev%20token`,
      {
        headers: { authorization: `Bearer ${body.accessToken}` },
      },
    );
    expect(listed.status).toBe(200);
    // The token never reaches the logs.
    expect(t.rawLogs()).not.toContain(body.accessToken);
    expect(t.rawLogs()).toContain('development sign-in');
    const config = await (await fetch(`${t.baseUrl}/console/config.json`)).json();
    expect(config).toEqual({ oidc: null, devSignIn: true });
  });
});
