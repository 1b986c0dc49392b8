// The agent's sign-in: OpenID Connect authorization code with PKCE (RFC 7636, S256) from the browser, as a
// public client of the workforce identity provider; or, in development only, a token the service mints with
// its development key. Tokens live in sessionStorage (this tab only, gone when it closes), never in
// localStorage, and are sent only as a bearer header to this service's /agent API.

/** GET /console/config.json (src/hosted-ui/console.controller.ts). */
export interface ConsoleConfig {
  oidc: { clientId: string; authorizationUrl: string; tokenUrl: string; scope: string } | null;
  devSignIn: boolean;
}

export interface AgentSession {
  accessToken: string;
  /** The token's subject: what the audit trail records as the agent. */
  agent: string;
  /** A friendlier name from the ID token, when the IdP gives one. */
  displayName: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  method: 'oidc' | 'dev';
}

const SESSION_KEY = 'ciam-console.session';
const PENDING_KEY = 'ciam-console.pending';

export class SignInError extends Error {}

/** The console's own address: the redirect URI registered at the IdP. */
export function redirectUri(): string {
  return `${window.location.origin}/console`;
}

export function currentSession(): AgentSession | null {
  const raw = sessionStorage.getItem(SESSION_KEY);
  if (!raw) return null;
  const session = JSON.parse(raw) as AgentSession;
  // A minute's margin: a token about to expire would fail mid-action.
  if (session.expiresAt - 60_000 < Date.now()) {
    sessionStorage.removeItem(SESSION_KEY);
    return null;
  }
  return session;
}

export function signOut(): void {
  sessionStorage.removeItem(SESSION_KEY);
  sessionStorage.removeItem(PENDING_KEY);
}

function keep(session: AgentSession): AgentSession {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function random(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** The claims of a JWT, unverified: only for display and the nonce check; the API verifies the token. */
function claimsOf(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1] ?? '';
  const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = Uint8Array.from(json, (char) => char.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

/** Sends the browser to the IdP (RFC 7636 §4: a fresh verifier, its S256 challenge; state and nonce). */
export async function startOidcSignIn(oidc: NonNullable<ConsoleConfig['oidc']>): Promise<void> {
  const verifier = random();
  const state = random();
  const nonce = random();
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, nonce }));
  const url = new URL(oidc.authorizationUrl);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: oidc.clientId,
    redirect_uri: redirectUri(),
    scope: oidc.scope,
    state,
    nonce,
    code_challenge: base64url(new Uint8Array(digest)),
    code_challenge_method: 'S256',
  }).toString();
  window.location.assign(url.toString());
}

/**
 * On the way back from the IdP (/console?code=…&state=… or ?error=…): checks the state, redeems the code
 * at the token endpoint with the verifier, and clears the query from the address bar and history. Null
 * when this page load is not a sign-in answer.
 */
export async function completeOidcSignIn(oidc: ConsoleConfig['oidc']): Promise<AgentSession | null> {
  const query = new URLSearchParams(window.location.search);
  if (!query.has('code') && !query.has('error')) return null;
  window.history.replaceState(null, '', '/console');
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as {
    verifier: string;
    state: string;
    nonce: string;
  } | null;
  sessionStorage.removeItem(PENDING_KEY);
  // RFC 6749 §10.12: an answer to a sign-in this tab did not start (CSRF, or a replayed URL) is refused.
  if (!oidc || !pending || query.get('state') !== pending.state) throw new SignInError('state');
  const error = query.get('error');
  if (error) throw new SignInError(query.get('error_description') ?? error);
  const response = await fetch(oidc.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: query.get('code') ?? '',
      redirect_uri: redirectUri(),
      client_id: oidc.clientId,
      code_verifier: pending.verifier,
    }),
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof body.access_token !== 'string') {
    throw new SignInError(String(body.error_description ?? body.error ?? `HTTP ${response.status}`));
  }
  const access = claimsOf(body.access_token);
  let displayName = String(access.sub ?? '');
  if (typeof body.id_token === 'string') {
    const id = claimsOf(body.id_token);
    // OIDC Core §3.1.3.7: the ID token must carry the nonce this sign-in sent.
    if (id.nonce !== pending.nonce) throw new SignInError('nonce');
    displayName = String(id.name ?? id.preferred_username ?? displayName);
  }
  const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 300;
  return keep({
    accessToken: body.access_token,
    agent: String(access.sub ?? ''),
    displayName,
    expiresAt: Date.now() + expiresIn * 1000,
    method: 'oidc',
  });
}

/** Development only: POST /console/dev-sign-in (src/agents/dev-sign-in.controller.ts). */
export async function devSignIn(agent: string): Promise<AgentSession> {
  const response = await fetch('/console/dev-sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ agent }),
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof body.accessToken !== 'string') {
    throw new SignInError(String(body.detail ?? body.title ?? `HTTP ${response.status}`));
  }
  return keep({
    accessToken: body.accessToken,
    agent,
    displayName: agent,
    expiresAt: Date.now() + Number(body.expiresIn) * 1000,
    method: 'dev',
  });
}
