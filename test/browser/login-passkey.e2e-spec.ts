import type { BrowserContext } from 'playwright-core';
import { useTestApp } from '../support/app';
import { useBrowser } from '../support/browser';
import { completeLogin, exchangeCode, registerStandardClients } from '../support/oauth';
import { useDirectoryAndSmsGateway } from '../support/sms-gateway';
import { LoginPage, useRelyingParty } from './login-support';

/**
 * Issue 17 item 3 through the hosted login page in a real chromium with the CDP virtual authenticator: the issuer
 * is http://localhost:PORT, so the page's origin is the default WebAuthn origin and `localhost` the RP ID (no
 * WEBAUTHN_* settings: the defaults from OIDC_ISSUER). alice registers a passkey under /me, then signs in with
 * "Sign in with a passkey" (no username, no password), and uses it as the second factor of a loa2 request.
 */
describe('hosted login page: passkeys', () => {
  const browser = useBrowser();
  const { env } = useDirectoryAndSmsGateway();
  const t = useTestApp(
    { env, envForPort: (port) => ({ OIDC_ISSUER: `http://localhost:${port}` }) },
    registerStandardClients,
  );
  const rp = useRelyingParty(t);
  let context: BrowserContext;

  beforeAll(async () => {
    context = await browser().newContext({ locale: 'en-GB' });
  });
  afterAll(() => context.close());

  async function withAuthenticator(scenario: string): Promise<LoginPage> {
    const login = await LoginPage.open(context, scenario);
    const cdp = await context.newCDPSession(login.page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    return login;
  }

  /** alice's passkey on this authenticator, registered under /me with a fresh loa2 session. */
  async function registerPasskey(login: LoginPage): Promise<void> {
    await login.page.goto(`${t.config.oidc.issuer}/login`);
    const code = await completeLogin(t, { cupid: 'CUPID-ALICE-0001', acr: 'urn:ciam:loa:2' });
    const { access_token } = (await (await exchangeCode(t, code)).json()) as { access_token: string };
    const call = (path: string, body?: unknown) =>
      fetch(`${t.baseUrl}/me/${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      });
    const { publicKey } = (await (await call('passkeys/registration-options')).json()) as { publicKey: unknown };
    const credential = await login.page.evaluate(async (options) => {
      const created = (await navigator.credentials.create({
        publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(
          options as unknown as PublicKeyCredentialCreationOptionsJSON,
        ),
      })) as PublicKeyCredential;
      return created.toJSON() as unknown;
    }, publicKey);
    expect((await call('passkeys', { name: 'This laptop', credential })).status).toBe(201);
  }

  it('signs in with "Sign in with a passkey", then uses the passkey as the second factor of a loa2 request', async () => {
    const login = await withAuthenticator('passkey');
    await registerPasskey(login);

    const first = await rp.authorizationRequest();
    await login.page.goto(first.url);
    await login.heading('Sign in to CIAM');
    await login.shot('password');
    await login.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await login.heading('Use your passkey');
    await login.shot('passkey');
    await login.page.getByRole('button', { name: 'Use passkey' }).click();
    await login.backAt(rp);
    const { claims } = await first.outcome;
    expect(claims).toMatchObject({ sub: 'CUPID-ALICE-0001', acr: 'urn:ciam:loa:2', amr: ['hwk', 'user', 'mfa'] });

    // A loa2 request in a fresh browser session: the password, then the passkey among the second factors.
    await context.clearCookies();
    const second = await rp.authorizationRequest({ acr_values: 'urn:ciam:loa:2' });
    await login.page.goto(second.url);
    await login.heading('Sign in to CIAM');
    await login.password('alice', 'alice-password');
    await login.heading("Confirm it's you");
    await login.shot('choose');
    await login.page.getByRole('button', { name: 'Use a passkey' }).click();
    await login.heading('Use your passkey');
    await login.page.getByRole('button', { name: 'Use passkey' }).click();
    await login.backAt(rp);
    const raised = await second.outcome;
    expect(raised.claims).toMatchObject({ acr: 'urn:ciam:loa:2', amr: ['pwd', 'hwk', 'user', 'mfa'] });
    expect(login.consoleErrors).toEqual([]);
  });
});
