import type { Page } from 'playwright-core';
import { useTestApp } from '../support/app';
import { useBrowser } from '../support/browser';
import { journeyStep, sendSms, startJourney, submitPassword, verifySms } from '../support/journeys';
import { auditEvents, registerStandardClients } from '../support/oauth';
import { useDirectoryAndSmsGateway } from '../support/sms-gateway';
import { lastSmsCode, LoginPage, useRelyingParty } from './login-support';

const BOB = 'CUPID-BOB-0002';

/**
 * Issue 17 item 3: the registration ceremony as a journey step. With PASSKEY_ENROLMENT_OFFER=web, a web sign-in
 * that passed a second factor offers a customer without a passkey to create one (PASSKEY_ENROL). Through the hosted
 * login page in a real chromium (the CDP virtual authenticator: CTAP2, resident keys, user verification), a real
 * slapd and SMS gateway: "Not now" completes the sign-in without one; "Create a passkey" registers it (audited,
 * the customer notified), and the next sign-in is passwordless. bob always needs a second factor (his directory
 * entry says so). The issuer is http://localhost:PORT so that the page's origin is within the RP ID `localhost`.
 */
describe('passkey offer after a multi-factor sign-in (PASSKEY_ENROL)', () => {
  // First, so that its afterAll closes the browser before the app stops.
  const browser = useBrowser();
  const { gateway, env } = useDirectoryAndSmsGateway({ PASSKEY_ENROLMENT_OFFER: 'web' });
  const t = useTestApp(
    {
      env,
      envForPort: (port) => ({
        OIDC_ISSUER: `http://localhost:${port}`,
        WEBAUTHN_RP_ID: 'localhost',
        WEBAUTHN_ORIGINS: `http://localhost:${port}`,
      }),
    },
    registerStandardClients,
  );
  const rp = useRelyingParty(t);
  const passkeys = () =>
    t.dataSource.query(`SELECT id, name, revoked_at FROM passkey_credentials WHERE cupid = $1`, [BOB]) as Promise<
      Array<{ id: string; name: string; revoked_at: Date | null }>
    >;

  async function withAuthenticator(page: Page): Promise<void> {
    const cdp = await page.context().newCDPSession(page);
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
  }

  /** bob's password, then the SMS code: the page then shows the passkey offer. */
  async function signInWithSms(login: LoginPage, url: string): Promise<void> {
    await login.page.goto(url);
    await login.heading(/Sign in to/);
    await login.password('bob', 'bob-password');
    await login.page.getByRole('button', { name: 'Send code' }).click();
    await login.heading('Enter the code');
    await login.page.getByLabel('Code', { exact: true }).fill(lastSmsCode(gateway.requests));
    await login.page.getByRole('button', { name: 'Confirm' }).click();
    await login.heading('Sign in faster next time');
    await login.shot('passkey-offer');
  }

  it('"Not now" completes the sign-in without a passkey, audited', async () => {
    const context = await browser().newContext({ locale: 'en-GB' });
    const login = await LoginPage.open(context, 'passkey-not-now');
    await withAuthenticator(login.page);
    const request = await rp.authorizationRequest();
    await signInWithSms(login, request.url);
    await login.page.getByRole('button', { name: 'Not now' }).click();
    await login.backAt(rp);
    const { claims } = await request.outcome;
    expect(claims).toMatchObject({ sub: BOB, acr: 'urn:ciam:loa:2' });
    expect(await passkeys()).toEqual([]);
    expect(await auditEvents(t, { cupid: BOB, type: 'passkey.enrolment_declined' })).toHaveLength(1);
    expect(login.consoleErrors).toEqual([]);
    await context.close();
  });

  it('"Create a passkey" registers one, and the next sign-in needs no password', async () => {
    const context = await browser().newContext({ locale: 'en-GB' });
    const login = await LoginPage.open(context, 'passkey-create');
    await withAuthenticator(login.page);
    const first = await rp.authorizationRequest();
    await signInWithSms(login, first.url);
    await login.page.getByRole('button', { name: 'Create a passkey' }).click();
    await login.backAt(rp);
    expect((await first.outcome).claims).toMatchObject({ sub: BOB, acr: 'urn:ciam:loa:2' });

    const created = await passkeys();
    expect(created).toEqual([expect.objectContaining({ name: 'Passkey', revoked_at: null })]);
    const [registered] = await auditEvents(t, { cupid: BOB, type: 'passkey.registered' });
    expect(registered.details).toMatchObject({ passkeyId: created[0].id, userVerified: true });
    expect(registered.client_id).toBe(rp.clientId);

    // The next sign-in (prompt=login: no single sign-on) with the passkey alone: no username, no password, loa2.
    const second = await rp.authorizationRequest({ prompt: 'login' });
    await login.page.goto(second.url);
    await login.heading(/Sign in to/);
    const smsBefore = gateway.requests.length;
    await login.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await login.heading('Use your passkey');
    await login.page.getByRole('button', { name: 'Use passkey' }).click();
    await login.backAt(rp);
    const { claims } = await second.outcome;
    expect(claims).toMatchObject({ sub: BOB, acr: 'urn:ciam:loa:2', amr: ['hwk', 'user', 'mfa'] });
    expect(gateway.requests.length).toBe(smsBefore);
    // A customer with a passkey is not offered another.
    expect(await auditEvents(t, { cupid: BOB, type: 'passkey.registered' })).toHaveLength(1);
    expect(login.consoleErrors).toEqual([]);
    await context.close();
  });

  it('is not offered on a channel outside PASSKEY_ENROLMENT_OFFER, and refuses a forged registration', async () => {
    await t.dataSource.query(`DELETE FROM passkey_credentials WHERE cupid = $1`, [BOB]);
    // A MOBILE journey: the sign-in completes after the SMS code, no offer.
    const mobile = await startJourney(t, { channel: 'MOBILE' });
    const password = await (
      await submitPassword(t, mobile.journeyId, mobile.transactionToken, 'bob', 'bob-password')
    ).json();
    const sent = await (await sendSms(t, mobile.journeyId, password.transactionToken)).json();
    const done = await verifySms(t, mobile.journeyId, sent.transactionToken, lastSmsCode(gateway.requests));
    expect(await done.json()).toMatchObject({ status: 'COMPLETED' });

    // A WEB journey over the API: offered; the options carry a creation challenge; a forged credential is refused
    // with the same token kept (nothing stored), and "Not now" still works with it.
    const web = await startJourney(t, { channel: 'WEB' });
    const pw = await (await submitPassword(t, web.journeyId, web.transactionToken, 'bob', 'bob-password')).json();
    const sms = await (await sendSms(t, web.journeyId, pw.transactionToken)).json();
    const offer = await (await verifySms(t, web.journeyId, sms.transactionToken, lastSmsCode(gateway.requests))).json();
    expect(offer).toMatchObject({ status: 'PENDING', nextStep: { type: 'PASSKEY_ENROL', phase: 'OFFER' } });
    const options = await journeyStep(t, web.journeyId, 'passkey-enrol/options', {
      transactionToken: offer.transactionToken,
    });
    expect(options.status).toBe(200);
    const creating = await options.json();
    expect(creating.nextStep).toMatchObject({
      type: 'PASSKEY_ENROL',
      phase: 'CREATE',
      publicKey: { rp: { id: 'localhost' }, authenticatorSelection: { residentKey: 'required' } },
    });
    const forged = await journeyStep(t, web.journeyId, 'passkey-enrol', {
      transactionToken: creating.transactionToken,
      credential: { id: 'AAAA', type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'AA' } },
    });
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({
      type: 'urn:ciam:problem:passkey-registration-invalid',
      attemptsLeft: expect.any(Number),
    });
    expect(await passkeys()).toEqual([]);
    const skipped = await journeyStep(t, web.journeyId, 'passkey-enrol/skip', {
      transactionToken: creating.transactionToken,
    });
    expect(skipped.status).toBe(200);
    expect(await skipped.json()).toMatchObject({ status: 'COMPLETED' });
    const rejected = await auditEvents(t, { contextId: web.journeyId, type: 'passkey.registration_rejected' });
    expect(rejected).toEqual([expect.objectContaining({ details: { reason: 'challenge' } })]);
  });
});
