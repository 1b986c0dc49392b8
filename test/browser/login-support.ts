import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import type { BrowserContext, Page } from 'playwright-core';
import type { TestApp } from '../support/app';
import { screenshot } from '../support/browser';
import { registerClient } from '../support/oauth';

type Tokens = Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;

/** What the relying party got back: the tokens and the ID token's claims, or the error it was sent. */
export interface RpOutcome {
  tokens: Tokens;
  claims: oidc.IDToken;
}

interface Pending {
  verifier: string;
  nonce: string;
  resolve: (outcome: RpOutcome) => void;
  reject: (error: Error) => void;
}

/**
 * A relying party as a web application would be: openid-client (discovery, PKCE, state, nonce) and a
 * node:http callback server on a loopback port. It sends the browser to /oauth2/authorize; when the browser
 * comes back to /callback it exchanges the code and shows who signed in.
 */
export class RelyingParty {
  readonly clientId = 'browser-rp';
  private server?: Server;
  private config?: oidc.Configuration;
  private readonly pending = new Map<string, Pending>();

  get redirectUri(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/callback`;
  }

  get configuration(): oidc.Configuration {
    return this.config!;
  }

  async start(t: TestApp): Promise<void> {
    this.server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', this.redirectUri);
      const state = url.searchParams.get('state') ?? '';
      const waiting = this.pending.get(state);
      if (url.pathname !== '/callback' || !waiting) {
        response.writeHead(404).end('unknown callback');
        return;
      }
      this.pending.delete(state);
      oidc
        .authorizationCodeGrant(this.config!, url, {
          pkceCodeVerifier: waiting.verifier,
          expectedState: state,
          expectedNonce: waiting.nonce,
          idTokenExpected: true,
        })
        .then((tokens) => {
          const claims = tokens.claims()!;
          response
            .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
            .end(`<!doctype html><title>Relying party</title><h1>Signed in as ${claims.sub}</h1>`);
          waiting.resolve({ tokens, claims });
        })
        .catch((error: Error) => {
          response.writeHead(400, { 'content-type': 'text/plain' }).end(`sign-in failed: ${error.message}`);
          waiting.reject(error);
        });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    await registerClient(t, {
      clientId: this.clientId,
      name: 'Browser test shop',
      type: 'PUBLIC',
      redirectUris: [this.redirectUri],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'profile', 'offline_access'],
    });
    this.config = await oidc.discovery(new URL(t.config.oidc.issuer), this.clientId, undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
  }

  /** A fresh authorization request (PKCE S256, state, nonce); `outcome` settles when the browser comes back. */
  async authorizationRequest(
    extra: Record<string, string> = {},
  ): Promise<{ url: string; outcome: Promise<RpOutcome> }> {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(this.config!, {
      redirect_uri: this.redirectUri,
      scope: 'openid profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...extra,
    });
    const outcome = new Promise<RpOutcome>((resolve, reject) =>
      this.pending.set(state, { verifier, nonce, resolve, reject }),
    );
    return { url: url.toString(), outcome };
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** One relying party per spec file, started once the app runs (call after useTestApp). */
export function useRelyingParty(t: TestApp): RelyingParty {
  const rp = new RelyingParty();
  beforeAll(() => rp.start(t));
  afterAll(() => rp.stop());
  return rp;
}

/**
 * The page's screens, in the order a customer meets them: each `step` waits for its heading (the page moves
 * focus there or to the first field), saves a screenshot named after the scenario, and hands back the page.
 */
export class LoginPage {
  private shots = 0;

  constructor(
    readonly page: Page,
    private readonly scenario: string,
  ) {}

  static async open(context: BrowserContext, scenario: string): Promise<LoginPage> {
    const page = await context.newPage();
    // A phone-sized window: the page must work there, and the screenshots stay small.
    await page.setViewportSize({ width: 480, height: 760 });
    const errors: string[] = [];
    // Script errors and CSP violations; a refused API call's "Failed to load resource" line is expected.
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        errors.push(message.text());
    });
    const login = new LoginPage(page, scenario);
    login.consoleErrors = errors;
    return login;
  }

  consoleErrors: string[] = [];

  async heading(name: string | RegExp): Promise<void> {
    await this.page.getByRole('heading', { level: 1, name }).waitFor();
  }

  /**
   * Every visible text on the login page against the background it is drawn on: at least 4.5:1 (WCAG 2.1
   * AA, 1.4.3). Runs at each screenshot, so each screen of each scenario is checked.
   */
  async lowContrastTexts(): Promise<string[]> {
    return this.page.evaluate(() => {
      const rgb = (colour: string) => (colour.match(/[\d.]+/g) ?? []).map(Number);
      const luminance = ([r, g, b]: number[]) => {
        const [lr, lg, lb] = [r, g, b].map((c) => {
          const v = c / 255;
          return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * lr + 0.7152 * lg + 0.0722 * lb;
      };
      const background = (element: Element | null): number[] => {
        for (let node = element; node; node = node.parentElement) {
          const colour = rgb(getComputedStyle(node).backgroundColor);
          if (colour.length === 3 || (colour.length === 4 && colour[3] === 1)) return colour.slice(0, 3);
        }
        return [255, 255, 255];
      };
      const failures: string[] = [];
      const card = document.querySelector('.card');
      if (!card) return failures;
      for (const element of card.querySelectorAll('*')) {
        const text = [...element.childNodes].some(
          (node) => node.nodeType === Node.TEXT_NODE && node.textContent?.trim(),
        );
        if (!text || !(element as HTMLElement).offsetParent) continue;
        const fg = luminance(rgb(getComputedStyle(element).color));
        const bg = luminance(background(element));
        const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
        if (ratio < 4.5)
          failures.push(`${element.tagName.toLowerCase()} "${element.textContent?.trim()}": ${ratio.toFixed(2)}`);
      }
      return failures;
    });
  }

  async shot(label: string): Promise<void> {
    if (this.page.url().includes('/login')) expect(await this.lowContrastTexts()).toEqual([]);
    this.shots += 1;
    await screenshot(this.page, `login-${this.scenario}-${String(this.shots).padStart(2, '0')}-${label}`);
  }

  async password(username: string, password: string, options: { remember?: boolean } = {}): Promise<void> {
    await this.page.getByLabel('Username', { exact: true }).fill(username);
    await this.page.getByLabel('Password', { exact: true }).fill(password);
    if (options.remember) await this.page.getByLabel(/Remember this browser/).check();
    await this.shot('password');
    await this.page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  /** Waits until the browser is back at the relying party's callback. */
  async backAt(rp: RelyingParty): Promise<void> {
    await this.page.waitForURL((url) => url.toString().startsWith(rp.redirectUri));
    await this.page.getByRole('heading', { name: /Signed in as/ }).waitFor();
    await this.shot('relying-party');
  }
}

/** The newest 6-digit code the SMS gateway was asked to deliver. */
export function lastSmsCode(requests: Array<{ body: string }>): string {
  return /(\d{6})/.exec((JSON.parse(requests.at(-1)!.body) as { text: string }).text)![1];
}
