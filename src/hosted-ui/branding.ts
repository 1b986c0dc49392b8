import type { AppConfig } from '../config/config';

/** What the login page reads at start (GET /login/branding.json): names and links, never code. */
export interface LoginBranding {
  brandName: string;
  logoUrl: string | null;
  supportUrl: string | null;
}

export function brandingJson(config: AppConfig['loginUi']): LoginBranding {
  return { brandName: config.brandName, logoUrl: config.logoUrl, supportUrl: config.supportUrl };
}

/**
 * The page's colours as CSS custom properties (GET /login/branding.css, linked before login.css uses them).
 * The values were checked to be strict #rrggbb at start-up (src/config/sections.ts), so nothing but a colour
 * can reach the stylesheet.
 */
export function brandingCss(config: AppConfig['loginUi']): string {
  return [
    '/* Generated from LOGIN_UI_* configuration (README, configuration). */',
    ':root {',
    `  --brand-primary: ${config.primaryColor};`,
    `  --brand-background: ${config.backgroundColor};`,
    '}',
    '',
  ].join('\n');
}

/**
 * The login page's CSP: the pages' policy, with img-src widened to the logo's origin when the logo lives
 * elsewhere (for the login page only; the console keeps the strict policy).
 */
export function loginPageCsp(pageCsp: string, logoUrl: string | null): string {
  if (!logoUrl) return pageCsp;
  const origin = new URL(logoUrl).origin;
  return pageCsp.replace("img-src 'self' data:", `img-src 'self' data: ${origin}`);
}
