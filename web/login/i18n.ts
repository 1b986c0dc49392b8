// Every text of the page comes from a message catalogue (messages.<locale>.json next to the bundle), chosen
// from the relying party's ui_locales (OIDC Core §3.1.2.1) when the fragment carries it, else the browser's
// languages; English is the fallback for a missing language or key.
export const LOCALES = ['en', 'de'] as const;
export type Locale = (typeof LOCALES)[number];
export type Catalogue = Record<string, string>;

let catalogue: Catalogue = {};
let fallback: Catalogue = {};
let current: Locale = 'en';

export function pickLocale(uiLocales: string | null, browser: readonly string[]): Locale {
  const wanted = [...(uiLocales ? uiLocales.split(' ') : []), ...browser];
  for (const tag of wanted) {
    const language = tag.toLowerCase().split('-')[0] as Locale;
    if (LOCALES.includes(language)) return language;
  }
  return 'en';
}

async function fetchCatalogue(locale: Locale): Promise<Catalogue> {
  const response = await fetch(`/login/messages.${locale}.json`, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`messages.${locale}.json: ${response.status}`);
  return (await response.json()) as Catalogue;
}

export async function loadMessages(locale: Locale): Promise<void> {
  fallback = await fetchCatalogue('en');
  catalogue = locale === 'en' ? fallback : await fetchCatalogue(locale).catch(() => fallback);
  current = catalogue === fallback ? 'en' : locale;
  document.documentElement.lang = current;
}

export function locale(): Locale {
  return current;
}

/** The text for `key`, with `{name}` placeholders filled in. */
export function t(key: string, values: Record<string, string | number> = {}): string {
  const template = catalogue[key] ?? fallback[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}
