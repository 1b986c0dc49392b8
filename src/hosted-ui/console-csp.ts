import { PAGE_CSP } from './hosted-pages.controller';

/**
 * The console's page policy: the hosted pages' strict one (no inline script or style), with the workforce
 * IdP's token endpoint origin added to connect-src, and nothing else: the code is redeemed from the browser.
 * The sign-in itself is a top-level navigation to the IdP, which connect-src does not govern.
 */
export function consoleCsp(tokenUrl: string | undefined): string {
  if (!tokenUrl) return PAGE_CSP;
  const origin = new URL(tokenUrl).origin;
  return PAGE_CSP.replace("connect-src 'self'", `connect-src 'self' ${origin}`);
}
