import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ClientRegistration, ClientsService } from '../../src/clients/clients.service';
import { SessionsService } from '../../src/sessions/sessions.service';
import { AuthorizationCodesService } from '../../src/tokens/authorization-codes.service';
import type { Schemas } from '../../client';
import type { TestApp } from './app';
import { asResponse, ciamClient } from './client';

export const SPA = {
  clientId: 'test-spa',
  redirectUri: 'http://localhost:5173/callback',
  postLogoutRedirectUri: 'http://localhost:5173/',
};
export const SERVICE = { clientId: 'test-service', secret: 'test-service-secret-0123456789' };

/** The two clients most specs use: a public SPA (PKCE, refresh) and a confidential service (introspection). */
export async function registerStandardClients(t: TestApp): Promise<void> {
  const clients = t.app.get(ClientsService);
  await clients.register({
    clientId: SPA.clientId,
    name: 'Test SPA',
    type: 'PUBLIC',
    redirectUris: [SPA.redirectUri],
    postLogoutRedirectUris: [SPA.postLogoutRedirectUri],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['openid', 'profile', 'email', 'offline_access'],
  });
  await clients.register({
    clientId: SERVICE.clientId,
    name: 'Test service',
    type: 'CONFIDENTIAL',
    secret: SERVICE.secret,
    grantTypes: ['client_credentials'],
    scopes: ['openid'],
    canIntrospect: true,
  });
}

export function registerClient(t: TestApp, registration: ClientRegistration) {
  return t.app.get(ClientsService).register(registration);
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface CompletedLogin {
  code: string;
  verifier: string;
  sessionId: string;
  cupid: string;
  nonce: string;
}

/**
 * What the end of a login journey does: open a session for the customer and mint a one-time code bound
 * to the client's PKCE challenge, through the same service API the journeys call.
 */
export async function completeLogin(
  t: TestApp,
  options: {
    clientId?: string;
    cupid?: string;
    amr?: string[];
    scope?: string;
    redirectUri?: string;
    challenge?: string;
    trustedDeviceId?: string;
    acr?: string;
  } = {},
): Promise<CompletedLogin> {
  const clientId = options.clientId ?? SPA.clientId;
  // A customer the directory knows: every refresh asks the directory whether they may still sign in,
  // and one it does not know loses access (REFRESH_DIRECTORY_CHECK_SECONDS).
  const cupid = options.cupid ?? 'CUPID-ALICE-0001';
  const client = await t.app.get(ClientsService).findActive(clientId);
  if (!client) throw new Error(`client ${clientId} is not registered`);
  const pkce = pkcePair();
  const nonce = randomBytes(12).toString('base64url');
  const sessions = t.app.get(SessionsService);
  const codes = t.app.get(AuthorizationCodesService);
  return t.app.get(DataSource).transaction(async (tx) => {
    const session = await sessions.create(tx, {
      cupid,
      client,
      amr: options.amr ?? ['pwd'],
      acr: options.acr ?? 'urn:ciam:loa:1',
      ip: '127.0.0.1',
      userAgent: 'jest',
      trustedDeviceId: options.trustedDeviceId ?? null,
    });
    const code = await codes.mint(tx, {
      client,
      sessionId: session.id,
      cupid,
      redirectUri: options.redirectUri ?? SPA.redirectUri,
      codeChallenge: options.challenge ?? pkce.challenge,
      nonce,
      scope: options.scope ?? 'openid profile',
    });
    return { code, verifier: pkce.verifier, sessionId: session.id, cupid, nonce };
  });
}

/** POST a form to an OAuth endpoint over real HTTP. */
export function postForm(
  t: TestApp,
  path: string,
  params: Record<string, string>,
  basic?: { id: string; secret: string },
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret)}`).toString('base64')}`;
  }
  return fetch(`${t.baseUrl}${path}`, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
}

/** The OAuth endpoints take forms (RFC 6749 §3.2): the typed client's bodies, form-encoded. */
const FORM = {
  bodySerializer: (body: unknown) => new URLSearchParams(body as Record<string, string>).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
};

export async function exchangeCode(
  t: TestApp,
  login: CompletedLogin,
  overrides: Partial<Schemas['TokenRequestDto']> = {},
): Promise<Response> {
  return asResponse(
    ciamClient(t).POST('/oauth2/token', {
      ...FORM,
      body: {
        grant_type: 'authorization_code',
        code: login.code,
        redirect_uri: SPA.redirectUri,
        code_verifier: login.verifier,
        client_id: SPA.clientId,
        ...overrides,
      },
    }),
  );
}

export function refresh(t: TestApp, refreshToken: string): Promise<Response> {
  return asResponse(
    ciamClient(t).POST('/oauth2/token', {
      ...FORM,
      body: { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: SPA.clientId },
    }),
  );
}

export async function introspect(t: TestApp, token: string): Promise<Record<string, unknown>> {
  const basic = Buffer.from(`${SERVICE.clientId}:${SERVICE.secret}`).toString('base64');
  const { data, response } = await ciamClient(t, { authorization: `Basic ${basic}` }).POST('/oauth2/introspect', {
    ...FORM,
    body: { token },
  });
  if (!data) throw new Error(`introspection answered ${response.status}`);
  return data as Record<string, unknown>;
}

export async function auditEvents(
  t: TestApp,
  where: { sessionId?: string; cupid?: string; type?: string; contextId?: string } = {},
) {
  return t.dataSource.query(
    `SELECT event_type, outcome, actor_type, actor_id, cupid, session_id, client_id, details FROM audit_logs
      WHERE ($1::uuid IS NULL OR session_id = $1) AND ($2::text IS NULL OR cupid = $2) AND ($3::text IS NULL OR event_type = $3)
        AND ($4::uuid IS NULL OR context_id = $4)
      ORDER BY created_at, event_type`,
    [where.sessionId ?? null, where.cupid ?? null, where.type ?? null, where.contextId ?? null],
  ) as Promise<
    Array<{
      event_type: string;
      outcome: string;
      actor_type: string;
      actor_id: string | null;
      cupid: string | null;
      session_id: string | null;
      client_id: string | null;
      details: Record<string, unknown>;
    }>
  >;
}
