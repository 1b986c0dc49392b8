import { useTestApp } from '../support/app';
import { useBrowser } from '../support/browser';
import { startUpstreamSignInOp } from '../support/upstream-op';
import type { UpstreamSignInOp } from '../support/upstream-op';
import { FederationProvidersService } from '../../src/federation/federation-providers.service';
import { LoginPage, useRelyingParty } from './login-support';

/**
 * Issue 21 through the hosted login page in a real chromium: "Sign in with <provider>" goes to a real upstream
 * OpenID provider (oidc-provider, automatic interaction), comes back through /federation/callback, asks the
 * password once to link, and the next time signs in through the provider alone; idp_hint goes straight there.
 */
describe('hosted login page: sign in with an upstream identity provider', () => {
  const browser = useBrowser();
  const t = useTestApp();
  const rp = useRelyingParty(t);
  let op: UpstreamSignInOp;

  beforeAll(async () => {
    op = await startUpstreamSignInOp(`${t.baseUrl}/federation/callback`);
    await t.app.get(FederationProvidersService).create(
      'upstream',
      {
        displayName: 'Upstream ID',
        kind: 'oidc',
        issuer: op.issuer,
        clientId: 'ciam',
        clientSecret: op.clientSecret('ciam'),
        scopes: ['openid', 'profile'],
        acr: 'loa1',
        claims: ['name'],
      },
      { type: 'SYSTEM', id: 'test' },
    );
  });
  afterAll(() => op?.close());

  it('links after the password on the first visit, then signs in through the provider alone', async () => {
    await op.signInAs('alice-upstream');
    const context = await browser().newContext({ locale: 'en-GB' });
    const login = await LoginPage.open(context, 'federation');
    const first = await rp.authorizationRequest({ scope: 'openid profile' });
    await login.page.goto(first.url);
    await login.heading('Sign in to CIAM');
    await login.shot('offered');
    await login.page.getByRole('button', { name: 'Sign in with Upstream ID' }).click();
    // Back from the provider: not linked yet, so the password proves who this is.
    await login.page.waitForRequest((request) => request.url().includes('/federated/callback'));
    await login.page.getByLabel('Password', { exact: true }).waitFor();
    expect(login.page.url()).toBe(`${t.baseUrl}/login`); // the provider's answer left the address bar
    await login.password('alice', 'alice-password');
    await login.backAt(rp);
    expect((await first.outcome).claims).toMatchObject({ sub: 'CUPID-ALICE-0001' });
    const links = await t.dataSource.query(`SELECT cupid, subject FROM federation_links WHERE active`);
    expect(links).toEqual([{ cupid: 'CUPID-ALICE-0001', subject: 'alice-upstream' }]);

    // Next time, with idp_hint: straight to the provider and back to the relying party, no password.
    const second = await rp.authorizationRequest({ scope: 'openid profile', idp_hint: 'upstream', prompt: 'login' });
    await login.page.goto(second.url);
    await login.backAt(rp);
    expect((await second.outcome).claims).toMatchObject({ sub: 'CUPID-ALICE-0001', amr: ['fed'] });
    expect(login.consoleErrors).toEqual([]);
    await context.close();
  }, 120_000);
});
