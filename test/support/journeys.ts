import type { TestApp } from './app';
import { pkcePair, SPA } from './oauth';

export interface StartedJourney {
  journeyId: string;
  transactionToken: string;
  verifier: string;
  body: Record<string, unknown>;
}

export async function postJson(
  t: TestApp,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${t.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** Starts a journey the way the frontend does, with a fresh PKCE pair. */
export async function startJourney(
  t: TestApp,
  overrides: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<StartedJourney> {
  const pkce = pkcePair();
  const response = await postJson(
    t,
    '/journeys',
    {
      clientId: SPA.clientId,
      redirectUri: SPA.redirectUri,
      codeChallenge: pkce.challenge,
      codeChallengeMethod: 'S256',
      scope: 'openid profile',
      nonce: 'nonce-123',
      state: 'state-xyz',
      channel: 'WEB',
      device: { deviceId: 'device-1', data: { platform: 'web' } },
      ...overrides,
    },
    headers,
  );
  const body = await response.json();
  if (response.status !== 201) throw new Error(`journey start answered ${response.status}: ${JSON.stringify(body)}`);
  return { journeyId: body.journeyId, transactionToken: body.transactionToken, verifier: pkce.verifier, body };
}

export function submitPassword(
  t: TestApp,
  journeyId: string,
  transactionToken: string,
  username: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return postJson(t, `/journeys/${journeyId}/password`, { transactionToken, username, password }, headers);
}
