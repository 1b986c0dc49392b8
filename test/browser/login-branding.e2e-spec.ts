import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { PAGE_CSP } from '../../src/hosted-ui/hosted-pages.controller';
import { useTestApp } from '../support/app';
import { useBrowser } from '../support/browser';
import { LoginPage, useRelyingParty } from './login-support';

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="32"><rect width="120" height="32" fill="#7a1fa2"/></svg>';

/**
 * Branding by configuration, no rebuild: the service writes the colours into /login/branding.css and the
 * name, logo and support link into /login/branding.json; a logo on another origin widens img-src for the
 * login page only. The hosted page is LOGIN_UI_URL's default, so /oauth2/authorize sends the browser to it.
 */
describe('hosted login page: branding', () => {
  // First, so that its afterAll closes the browser (and its connections) before the app stops, even after a failure.
  const browser = useBrowser();
  let cdn: Server;
  const env: Record<string, string> = {};
  beforeAll(async () => {
    // The bank's CDN, another origin than the service.
    cdn = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'image/svg+xml' }).end(LOGO);
    });
    await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', resolve));
    Object.assign(env, {
      LOGIN_UI_BRAND_NAME: 'Example Bank',
      LOGIN_UI_PRIMARY_COLOR: '#7A1FA2',
      LOGIN_UI_BACKGROUND_COLOR: '#ffffff',
      LOGIN_UI_LOGO_URL: `http://localhost:${(cdn.address() as AddressInfo).port}/logo.svg`,
      LOGIN_UI_SUPPORT_URL: 'https://bank.example/help',
    });
  });
  afterAll(async () => {
    cdn.closeAllConnections();
    await new Promise((resolve) => cdn.close(resolve));
  });
  const t = useTestApp({ env });
  const rp = useRelyingParty(t);

  it('serves the branding from configuration, and widens img-src for the logo on the login page only', async () => {
    const css = await fetch(`${t.baseUrl}/login/branding.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const stylesheet = await css.text();
    expect(stylesheet).toContain('--brand-primary: #7a1fa2;');
    expect(stylesheet).toContain('--brand-background: #ffffff;');
    const json = await fetch(`${t.baseUrl}/login/branding.json`);
    expect(await json.json()).toEqual({
      brandName: 'Example Bank',
      logoUrl: env.LOGIN_UI_LOGO_URL,
      supportUrl: 'https://bank.example/help',
    });
    const logoOrigin = new URL(env.LOGIN_UI_LOGO_URL).origin;
    const login = (await fetch(`${t.baseUrl}/login`)).headers.get('content-security-policy');
    expect(login).toBe(PAGE_CSP.replace("img-src 'self' data:", `img-src 'self' data: ${logoOrigin}`));
    expect(login).not.toContain('unsafe-inline');
    expect((await fetch(`${t.baseUrl}/console`)).headers.get('content-security-policy')).not.toContain(logoOrigin);
  });

  it('the authorize redirect lands on the hosted page by default, which shows the brand with readable colours', async () => {
    const context = await browser().newContext({ locale: 'en-GB' });
    const login = await LoginPage.open(context, 'branding');
    const { url } = await rp.authorizationRequest();
    const redirect = await fetch(url, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toMatch(new RegExp(`^${t.config.oidc.issuer}/login#journey=`));

    await login.page.goto(url);
    await login.heading('Sign in to Example Bank');
    await expect(login.page.title()).resolves.toBe('Sign in – Example Bank');
    const logo = login.page.getByRole('img', { name: 'Example Bank' });
    await logo.waitFor();
    await login.page.waitForFunction(() => (document.querySelector('img.logo') as HTMLImageElement).naturalWidth > 0);
    await expect(
      login.page.getByRole('link', { name: 'Need help? Contact support' }).getAttribute('href'),
    ).resolves.toBe('https://bank.example/help');
    const button = await login.page
      .getByRole('button', { name: 'Sign in', exact: true })
      .evaluate((element) => [getComputedStyle(element).backgroundColor, getComputedStyle(element).color]);
    expect(button).toEqual(['rgb(122, 31, 162)', 'rgb(255, 255, 255)']);

    // Keyboard only: Tab walks the fields in order, and the focused one shows a visible ring.
    await login.page.keyboard.press('Tab');
    await expect(login.page.evaluate(() => document.activeElement?.id)).resolves.toBe('password');
    const ring = await login.page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(ring).toBe('solid');
    await login.shot('password');
    expect(login.consoleErrors).toEqual([]);
    await context.close();
  });
});
