import { useTestApp } from '../support/app';
import { useBrowser } from '../support/browser';

// The pages are served by the service itself, under a CSP that forbids inline scripts, and their bundle runs.
describe('hosted pages', () => {
  const t = useTestApp();
  const browser = useBrowser();

  it.each(['login', 'console'])('serves /%s with its bundle under the strict page policy', async (page) => {
    const response = await fetch(`${t.baseUrl}/${page}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await response.text();
    expect(html).toContain(`/${page}/app.js`);
    expect(html).not.toMatch(/<script>(?!<)/); // no inline script
    const bundle = await fetch(`${t.baseUrl}/${page}/app.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('answers 404 in the problem format for a file the page does not have', async () => {
    const response = await fetch(`${t.baseUrl}/login/..%2f..%2fpackage.json`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it('loads the login page in chromium with no CSP violation', async () => {
    const context = await browser().newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`${t.baseUrl}/login`);
    await expect(page.title()).resolves.toMatch(/^Sign in/); // the page adds the brand name once it runs
    expect(errors).toEqual([]);
    await context.close();
  });
});
