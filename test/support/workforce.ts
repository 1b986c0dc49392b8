import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';

export const WORKFORCE = { issuer: 'https://workforce.test', audience: 'ciam-agent-api', role: 'ciam-support' };

/** The agent console's public client at the test IdP (AGENT_CONSOLE_CLIENT_ID). */
export const CONSOLE_CLIENT_ID = 'ciam-agent-console';

/** A workforce user the test IdP signs in: the display name goes to the ID token, the roles to the access token. */
export interface WorkforceUser {
  name: string;
  roles: string[];
}

interface IssuedCode {
  user: string;
  redirectUri: string;
  challenge: string;
  nonce: string | undefined;
}

/**
 * A workforce identity provider for tests, over real HTTP on a local port:
 * - its JWKS (`/jwks`), and a minting function for agent tokens (good ones and every kind of bad one);
 * - an OpenID Connect authorization endpoint (`/authorize`: a sign-in form, then a redirect with a one-time
 *   code) and token endpoint (`/token`: the code and its PKCE verifier for an access token and an ID token,
 *   with CORS, as a real IdP answers a browser-based public client). It accepts only S256 PKCE, only its
 *   registered redirect URIs, and each code once.
 */
export class TestWorkforceIdp {
  private server?: Server;
  /** The published signing key (extractable, so a forging subclass can also show it as PEM). */
  protected key!: { privateKey: CryptoKey; publicKey: CryptoKey };
  readonly kid = 'workforce-key-1';
  /** Who may sign in at /authorize. */
  readonly users = new Map<string, WorkforceUser>([['agent-007', { name: 'Jane Agent', roles: [WORKFORCE.role] }]]);
  /** Redirect URIs registered for the console client (the test adds `${app}/console`). */
  readonly redirectUris = new Set<string>();
  /** Every form posted to /token, to check what the browser sent (the PKCE verifier, never a secret). */
  readonly tokenRequests: URLSearchParams[] = [];
  private readonly codes = new Map<string, IssuedCode>();
  private jwksCount = 0;
  private jwks: unknown;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.key = await generateKeyPair('ES256', { extractable: true });
    this.jwks = { keys: [{ ...(await exportJWK(this.key.publicKey)), kid: this.kid, alg: 'ES256', use: 'sig' }] };
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  env(): Record<string, string> {
    return {
      AGENT_ISSUER: WORKFORCE.issuer,
      AGENT_AUDIENCE: WORKFORCE.audience,
      AGENT_JWKS_URL: `${this.url}/jwks`,
      AGENT_REQUIRED_ROLE: WORKFORCE.role,
      AGENT_CONSOLE_CLIENT_ID: CONSOLE_CLIENT_ID,
      AGENT_CONSOLE_AUTHORIZATION_URL: `${this.url}/authorize`,
      AGENT_CONSOLE_TOKEN_URL: `${this.url}/token`,
      AGENT_CONSOLE_SCOPE: 'openid profile',
    };
  }

  get jwksRequests(): number {
    return this.jwksCount;
  }

  async token(
    overrides: {
      sub?: string;
      roles?: string[];
      issuer?: string;
      audience?: string;
      expiresIn?: string;
      kid?: string;
      foreignKey?: boolean;
    } = {},
  ): Promise<string> {
    const signingKey = overrides.foreignKey ? (await generateKeyPair('ES256')).privateKey : this.key.privateKey;
    return new SignJWT({ roles: overrides.roles ?? [WORKFORCE.role] })
      .setProtectedHeader({ alg: 'ES256', kid: overrides.kid ?? this.kid, typ: 'JWT' })
      .setIssuer(overrides.issuer ?? WORKFORCE.issuer)
      .setAudience(overrides.audience ?? WORKFORCE.audience)
      .setSubject(overrides.sub ?? 'agent-007')
      .setIssuedAt()
      .setExpirationTime(overrides.expiresIn ?? '10m')
      .setJti(randomUUID())
      .sign(signingKey);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of request) body += chunk;
    const url = new URL(request.url ?? '/', this.url);
    if (url.pathname === '/jwks') {
      this.jwksCount++;
      return json(response, 200, this.jwks);
    }
    if (url.pathname === '/authorize' && request.method === 'GET') return this.authorize(url.searchParams, response);
    if (url.pathname === '/authorize' && request.method === 'POST')
      return this.signIn(new URLSearchParams(body), response);
    if (url.pathname === '/token') return this.tokenEndpoint(request, new URLSearchParams(body), response);
    json(response, 404, { error: 'not_found' });
  }

  /** RFC 6749 §4.1.1 with RFC 7636 §4.3: checks the request, then shows the sign-in form. */
  private authorize(params: URLSearchParams, response: ServerResponse, problem?: string): void {
    const redirectUri = params.get('redirect_uri') ?? '';
    // §4.1.2.1: a wrong client or redirect URI is never redirected to.
    if (params.get('client_id') !== CONSOLE_CLIENT_ID || !this.redirectUris.has(redirectUri)) {
      return html(response, 400, '<h1>Unknown client or redirect URI</h1>');
    }
    if (
      params.get('response_type') !== 'code' ||
      params.get('code_challenge_method') !== 'S256' ||
      !/^[A-Za-z0-9_-]{43}$/.test(params.get('code_challenge') ?? '')
    ) {
      return redirect(response, redirectUri, { error: 'invalid_request', state: params.get('state') ?? undefined });
    }
    const hidden = [...params.entries()]
      .map(([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">`)
      .join('');
    html(
      response,
      problem ? 401 : 200,
      `<!doctype html><html lang="en"><head><title>Workforce sign-in</title><link rel="icon" href="data:,"></head><body>
<h1>Workforce sign-in</h1>${problem ? `<p role="alert">${escape(problem)}</p>` : ''}
<form method="post" action="/authorize">${hidden}
<label for="username">Workforce user name</label> <input id="username" name="username" autocomplete="username">
<button type="submit">Sign in</button></form></body></html>`,
    );
  }

  private signIn(form: URLSearchParams, response: ServerResponse): void {
    const username = form.get('username') ?? '';
    form.delete('username');
    if (!this.users.has(username)) return this.authorize(form, response, 'Unknown user name');
    const code = randomBytes(24).toString('base64url');
    this.codes.set(code, {
      user: username,
      redirectUri: form.get('redirect_uri')!,
      challenge: form.get('code_challenge')!,
      nonce: form.get('nonce') ?? undefined,
    });
    redirect(response, form.get('redirect_uri')!, { code, state: form.get('state') ?? undefined });
  }

  /** RFC 6749 §4.1.3 and RFC 7636 §4.6, answered to a browser (CORS) as a public client's IdP does. */
  private async tokenEndpoint(request: IncomingMessage, form: URLSearchParams, response: ServerResponse) {
    response.setHeader('Access-Control-Allow-Origin', request.headers.origin ?? '*');
    if (request.method === 'OPTIONS') {
      response.setHeader('Access-Control-Allow-Headers', 'content-type, accept');
      response.setHeader('Access-Control-Allow-Methods', 'POST');
      return void response.writeHead(204).end();
    }
    this.tokenRequests.push(form);
    const code = form.get('code') ?? '';
    const issued = this.codes.get(code);
    this.codes.delete(code); // single use, whatever happens next
    const verifier = form.get('code_verifier') ?? '';
    if (
      form.get('grant_type') !== 'authorization_code' ||
      form.get('client_id') !== CONSOLE_CLIENT_ID ||
      !issued ||
      issued.redirectUri !== form.get('redirect_uri') ||
      createHash('sha256').update(verifier).digest('base64url') !== issued.challenge
    ) {
      return json(response, 400, { error: 'invalid_grant' });
    }
    const user = this.users.get(issued.user)!;
    const idToken = await new SignJWT({ nonce: issued.nonce, name: user.name, preferred_username: issued.user })
      .setProtectedHeader({ alg: 'ES256', kid: this.kid, typ: 'JWT' })
      .setIssuer(WORKFORCE.issuer)
      .setAudience(CONSOLE_CLIENT_ID)
      .setSubject(issued.user)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(this.key.privateKey);
    json(response, 200, {
      access_token: await this.token({ sub: issued.user, roles: user.roles }),
      id_token: idToken,
      token_type: 'Bearer',
      expires_in: 600,
      scope: 'openid profile',
    });
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(JSON.stringify(body));
}

function html(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(body);
}

function redirect(response: ServerResponse, to: string, params: Record<string, string | undefined>): void {
  const target = new URL(to);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) target.searchParams.set(name, value);
  response.writeHead(302, { location: target.toString() }).end();
}

function escape(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** A workforce IdP for the specs of one describe block: `env` points the app at it (fill-in by beforeAll). */
export function useWorkforceIdp<Idp extends TestWorkforceIdp = TestWorkforceIdp>(
  idp: Idp = new TestWorkforceIdp() as Idp,
): { idp: Idp; env: Record<string, string> } {
  const env: Record<string, string> = {};
  beforeAll(async () => {
    await idp.start();
    Object.assign(env, idp.env());
  });
  afterAll(() => idp.stop());
  return { idp, env };
}
