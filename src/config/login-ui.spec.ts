import { loadConfig } from './config';
import { contrastRatio } from './sections';

describe('login page configuration (LOGIN_UI_*)', () => {
  it('defaults to the hosted page under the issuer, with colours that pass WCAG AA', () => {
    const config = loadConfig({ OIDC_ISSUER: 'http://localhost:4000' });
    expect(config.journeys.loginUiUrl).toBe('http://localhost:4000/login');
    expect(config.loginUi).toEqual({
      brandName: 'CIAM',
      logoUrl: null,
      primaryColor: '#0b57d0',
      backgroundColor: '#f4f6f8',
      supportUrl: null,
    });
    expect(contrastRatio([11 / 255, 87 / 255, 208 / 255], [1, 1, 1])).toBeGreaterThanOrEqual(4.5);
  });

  it('keeps LOGIN_UI_URL pointing at an external UI when set', () => {
    expect(loadConfig({ LOGIN_UI_URL: 'https://login.bank.example/signin' }).journeys.loginUiUrl).toBe(
      'https://login.bank.example/signin',
    );
    expect(() => loadConfig({ LOGIN_UI_URL: 'not a url' })).toThrow(/LOGIN_UI_URL must be an absolute URL/);
  });

  it('reads the branding, lower-casing colours', () => {
    const config = loadConfig({
      LOGIN_UI_BRAND_NAME: 'Example Bank',
      LOGIN_UI_LOGO_URL: 'https://cdn.bank.example/logo.svg',
      LOGIN_UI_PRIMARY_COLOR: '#7A1FA2',
      LOGIN_UI_BACKGROUND_COLOR: '#FFFFFF',
      LOGIN_UI_SUPPORT_URL: 'https://bank.example/help',
    });
    expect(config.loginUi).toEqual({
      brandName: 'Example Bank',
      logoUrl: 'https://cdn.bank.example/logo.svg',
      primaryColor: '#7a1fa2',
      backgroundColor: '#ffffff',
      supportUrl: 'https://bank.example/help',
    });
  });

  it.each([
    ['red', /LOGIN_UI_PRIMARY_COLOR must be a colour in the form #rrggbb/],
    ['#fff', /LOGIN_UI_PRIMARY_COLOR must be a colour in the form #rrggbb/],
    ['#0b57d0; } body { display: none', /LOGIN_UI_PRIMARY_COLOR must be a colour in the form #rrggbb/],
    ['#ffd700', /LOGIN_UI_PRIMARY_COLOR must keep a contrast of at least 4.5:1 with white button text/],
  ])('refuses LOGIN_UI_PRIMARY_COLOR=%s', (value, message) => {
    expect(() => loadConfig({ LOGIN_UI_PRIMARY_COLOR: value })).toThrow(message);
  });

  it('refuses a background the text cannot be read on, a logo that is no http(s) URL, and a brand name with control characters', () => {
    expect(() => loadConfig({ LOGIN_UI_BACKGROUND_COLOR: '#333333' })).toThrow(
      /LOGIN_UI_BACKGROUND_COLOR must keep a contrast of at least 4.5:1 with the text/,
    );
    expect(() => loadConfig({ LOGIN_UI_LOGO_URL: 'javascript:alert(1)' })).toThrow(
      /LOGIN_UI_LOGO_URL must be an http\(s\) URL/,
    );
    expect(() => loadConfig({ LOGIN_UI_BRAND_NAME: 'Bank\nInc' })).toThrow(
      /LOGIN_UI_BRAND_NAME must be at most 64 characters/,
    );
  });
});
