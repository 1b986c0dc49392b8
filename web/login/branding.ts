// Branding comes from the service's configuration (LOGIN_UI_*): colours through /login/branding.css (linked in
// index.html), the name, logo and support link through /login/branding.json; no rebuild to rebrand.
import { h } from './dom';
import { t } from './i18n';

export interface Branding {
  brandName: string;
  logoUrl: string | null;
  supportUrl: string | null;
}

let branding: Branding = { brandName: 'CIAM', logoUrl: null, supportUrl: null };

export function brand(): Branding {
  return branding;
}

export async function applyBranding(): Promise<void> {
  try {
    const response = await fetch('/login/branding.json', { headers: { accept: 'application/json' } });
    if (response.ok) branding = { ...branding, ...((await response.json()) as Partial<Branding>) };
  } catch {
    // The defaults still make a usable page.
  }
  const header = document.getElementById('brand');
  if (header) {
    header.replaceChildren(
      branding.logoUrl
        ? h('img', { src: branding.logoUrl, alt: branding.brandName, class: 'logo' })
        : h('span', { class: 'brand-name' }, branding.brandName),
    );
  }
  const footer = document.getElementById('footer');
  if (footer && branding.supportUrl) {
    footer.replaceChildren(h('a', { href: branding.supportUrl, rel: 'noopener' }, t('footer.support')));
  }
  document.title = t('page.title', { brand: branding.brandName });
}
