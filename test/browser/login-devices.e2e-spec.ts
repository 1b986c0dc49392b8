import { createHash } from 'node:crypto';
import { EsignRepository } from '../../src/esign/esign.repository';
import { useTestApp } from '../support/app';
import { useBrowser } from '../support/browser';
import { useDirectoryAndSmsGateway } from '../support/sms-gateway';
import { lastSmsCode, LoginPage, useRelyingParty } from './login-support';

const TERMS = 'Terms and conditions, version 2026-11. You agree to ...';
const TERMS_SHA256 = createHash('sha256').update(TERMS).digest('hex');

/**
 * Scenarios 5 and 8 through the hosted login page: bob asks to remember this browser, passes the SMS code,
 * signs the new terms and binds the browser with a WebCrypto key that cannot be extracted; the next sign-in
 * in the same browser profile proves the key instead of MFA. A revoked binding brings MFA back.
 */
describe('hosted login page: eSign, device binding and trusted-device login', () => {
  // First, so that its afterAll closes the browser (and its connections) before the app stops, even after a failure.
  const browser = useBrowser();
  const { gateway, env } = useDirectoryAndSmsGateway();
  const t = useTestApp({ env }, async (app) => {
    await app.app.get(EsignRepository).publish({
      documentId: 'terms',
      version: '2026-11',
      title: 'Terms and conditions',
      url: 'https://bank.example/terms/2026-11',
      sha256: TERMS_SHA256,
    });
  });
  const rp = useRelyingParty(t);
  const contexts: Array<{ close(): Promise<void> }> = [];
  afterAll(async () => {
    for (const context of contexts) await context.close();
  });

  /** One browser profile for the whole file: the bound key lives in its IndexedDB. */
  async function profile() {
    if (!contexts[0]) contexts.push(await browser().newContext({ locale: 'en-GB' }));
    return contexts[0] as Awaited<ReturnType<ReturnType<typeof browser>['newContext']>>;
  }

  /** What this browser keeps for the login page's origin: the key's thumbprint and whether it can be read out. */
  async function storedKey() {
    const page = await (await profile()).newPage();
    await page.goto(`${t.baseUrl}/login`);
    const key = await page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open('ciam-login', 1);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      const record = await new Promise<{ privateKey: CryptoKey; thumbprint: string; bound: boolean }>((resolve) => {
        const request = db.transaction('device-keys').objectStore('device-keys').get('device');
        request.onsuccess = () => resolve(request.result);
      });
      const exported = await crypto.subtle.exportKey('jwk', record.privateKey).then(
        () => 'exported',
        (error: Error) => error.name,
      );
      return {
        thumbprint: record.thumbprint,
        bound: record.bound,
        extractable: record.privateKey.extractable,
        exported,
      };
    });
    await page.close();
    return key;
  }

  it('scenario 5: declining the document ends the sign-in, with the reason shown', async () => {
    const context = await browser().newContext({ locale: 'en-GB' });
    const login = await LoginPage.open(context, 's5-declined');
    const { url } = await rp.authorizationRequest();
    await login.page.goto(url);
    await login.heading('Sign in to CIAM');
    await login.password('bob', 'bob-password');
    await login.heading('Confirm with a text message');
    await login.page.getByRole('button', { name: 'Send code' }).click();
    await login.heading('Enter the code');
    await login.page.getByLabel('Code', { exact: true }).fill(lastSmsCode(gateway.requests));
    await login.page.getByRole('button', { name: 'Confirm' }).click();
    await login.heading('Review and sign');
    await login.page.getByRole('button', { name: 'Decline' }).click();
    await login.heading('This sign-in cannot continue');
    await expect(login.page.getByRole('alert').textContent()).resolves.toBe(
      'You declined the document, so the sign-in stopped.',
    );
    await login.shot('declined');
    expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM esign_signatures`)).toEqual([{ n: 0 }]);
    await context.close();
  });

  it('scenario 5: SMS code, eSign with the document shown, then this browser bound; tokens only after all of them', async () => {
    const login = await LoginPage.open(await profile(), 's5');
    const { url, outcome } = await rp.authorizationRequest();
    await login.page.goto(url);
    await login.heading('Sign in to CIAM');
    await login.password('bob', 'bob-password', { remember: true });
    await login.heading('Confirm with a text message');
    await login.page.getByRole('button', { name: 'Send code' }).click();
    await login.heading('Enter the code');
    await login.page.getByLabel('Code', { exact: true }).fill(lastSmsCode(gateway.requests));
    await login.page.getByRole('button', { name: 'Confirm' }).click();

    await login.heading('Review and sign');
    await expect(login.page.locator('.document').textContent()).resolves.toContain('Terms and conditions');
    await expect(login.page.locator('.hash').textContent()).resolves.toBe(TERMS_SHA256);
    await expect(
      login.page.getByRole('link', { name: /Read “Terms and conditions”/ }).getAttribute('href'),
    ).resolves.toBe('https://bank.example/terms/2026-11');
    await login.shot('esign');
    // Signing without ticking the box is caught on the page, with focus on the box.
    await login.page.getByRole('button', { name: 'Sign', exact: true }).click();
    await login.page.getByText('Tick the box to accept the document, or decline.').waitFor();
    await expect(login.page.evaluate(() => document.activeElement?.id)).resolves.toBe('accept');
    await login.page.keyboard.press('Space');
    await login.page.getByRole('button', { name: 'Sign', exact: true }).click();

    await login.heading('Remember this browser');
    await login.page.getByLabel('Name for this browser').fill('Bob laptop browser');
    await login.shot('bind');
    await login.page.getByRole('button', { name: 'Remember this browser' }).click();
    await login.backAt(rp);
    const { claims } = await outcome;
    expect(claims).toMatchObject({ sub: 'CUPID-BOB-0002', amr: ['pwd', 'otp', 'sms'], acr: 'urn:ciam:loa:2' });

    const key = await storedKey();
    // The private key works for signing but can never be read out of the browser.
    expect(key).toMatchObject({ bound: true, extractable: false, exported: 'InvalidAccessError' });
    const devices = await t.dataSource.query(
      `SELECT cupid, name, platform, status, jwk_thumbprint FROM trusted_devices WHERE cupid = 'CUPID-BOB-0002'`,
    );
    expect(devices).toEqual([
      {
        cupid: 'CUPID-BOB-0002',
        name: 'Bob laptop browser',
        platform: 'web',
        status: 'ACTIVE',
        jwk_thumbprint: key.thumbprint,
      },
    ]);
    const [signature] = await t.dataSource.query(`SELECT document_id, version, sha256 FROM esign_signatures`);
    expect(signature).toEqual({ document_id: 'terms', version: '2026-11', sha256: TERMS_SHA256 });
    expect(login.consoleErrors).toEqual([]);
    await login.page.close();
  });

  it('scenario 8: the same browser signs in again with its key instead of a second factor (amr pwd swk)', async () => {
    const login = await LoginPage.open(await profile(), 's8');
    // The provider session of the first login would answer this request by SSO, with no page: the customer
    // comes back after it ended (its cookie gone), the device key still in the browser's IndexedDB.
    await login.page.context().clearCookies();
    const { url, outcome } = await rp.authorizationRequest();
    const smsBefore = gateway.requests.length;
    await login.page.goto(url);
    await login.heading('Sign in to CIAM');
    await expect(login.page.getByText('This browser is remembered').isVisible()).resolves.toBe(true);
    await login.password('bob', 'bob-password');
    await login.backAt(rp);
    const { claims } = await outcome;
    expect(claims).toMatchObject({ sub: 'CUPID-BOB-0002', amr: ['pwd', 'swk'], acr: 'urn:ciam:loa:2' });
    expect(gateway.requests.length).toBe(smsBefore); // no code was sent
    const [proof] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_logs WHERE event_type = 'device.proof_verified' AND cupid = 'CUPID-BOB-0002'`,
    );
    expect(proof.n).toBe(1);
    await login.page.close();
  });

  it('scenario 8: once the binding is revoked, the same browser is asked for the second factor again', async () => {
    await t.dataSource.query(
      `UPDATE trusted_devices SET status = 'REVOKED', revoked_at = now(), revoked_by = 'test', revoke_reason = 'lost'
        WHERE cupid = 'CUPID-BOB-0002'`,
    );
    const login = await LoginPage.open(await profile(), 's8-revoked');
    await login.page.context().clearCookies(); // no provider session: a login, as above
    const { url } = await rp.authorizationRequest();
    await login.page.goto(url);
    await login.heading('Sign in to CIAM');
    await login.password('bob', 'bob-password');
    await login.heading('Confirm with a text message');
    await login.shot('mfa-again');
    await login.page.close();
  });
});
