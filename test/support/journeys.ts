import { createCiamClient, type CiamClient, type paths, type Schemas } from '../../client';
import type { TestApp } from './app';
import { contractCheck } from './contract';
import { pkcePair, SPA } from './oauth';

export interface StartedJourney {
  journeyId: string;
  transactionToken: string;
  verifier: string;
  body: Schemas['JourneyPendingDto'];
}

/**
 * The typed client (client/, generated from openapi.yaml) as a frontend uses it, bound to the test app.
 * Every answer it gets is checked against the document (contract.ts): an undocumented status, a field
 * the service sends but the document does not describe, or a documented one it leaves out fails the test.
 */
export function ciamClient(t: TestApp, headers: Record<string, string> = {}): CiamClient {
  const client = createCiamClient({ baseUrl: t.baseUrl, headers });
  client.use(contractCheck);
  return client;
}

/**
 * The helpers below answer with a Response (status, headers, JSON body), as the specs read them; the body
 * was already parsed by the typed client and checked against openapi.yaml.
 */
async function asResponse(call: Promise<{ data?: unknown; error?: unknown; response: Response }>): Promise<Response> {
  const { data, error, response } = await call;
  const body = data ?? error;
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/** Raw JSON, for bodies built wrong on purpose (bad input, security specs); prefer the typed helpers. */
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
  overrides: Partial<Schemas['StartJourneyDto']> = {},
  headers: Record<string, string> = {},
): Promise<StartedJourney> {
  const pkce = pkcePair();
  const { data, error, response } = await ciamClient(t, headers).POST('/journeys', {
    body: {
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
  });
  if (!data || data.status !== 'PENDING')
    throw new Error(`journey start answered ${response.status}: ${JSON.stringify(data ?? error)}`);
  return { journeyId: data.journeyId, transactionToken: data.transactionToken, verifier: pkce.verifier, body: data };
}

const at = (journeyId: string) => ({ params: { path: { journeyId } } });

/** The journey step operations by their path after /journeys/{journeyId}/ (e.g. `sms-otp/send`). */
type StepPaths = {
  [P in keyof paths as P extends `/journeys/{journeyId}/${infer Step}` ? Step : never]: paths[P];
};
export type JourneyStepPath = keyof StepPaths;
type StepBody<S extends JourneyStepPath> = StepPaths[S]['post'] extends {
  requestBody: { content: { 'application/json': infer Body } };
}
  ? Body
  : never;

/** Any step operation by its path, with the body the document describes for it. */
export function journeyStep<S extends JourneyStepPath>(
  t: TestApp,
  journeyId: string,
  step: S,
  body: StepBody<S>,
  headers: Record<string, string> = {},
): Promise<Response> {
  // One operation's signature stands for all: the path and body are checked above, per step.
  const path = `/journeys/{journeyId}/${step}` as '/journeys/{journeyId}/sms-otp/send';
  return asResponse(
    ciamClient(t, headers).POST(path, { ...at(journeyId), body: body as Schemas['TransactionOnlyDto'] }),
  );
}

export function submitPassword(
  t: TestApp,
  journeyId: string,
  transactionToken: string,
  username: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return asResponse(
    ciamClient(t, headers).POST('/journeys/{journeyId}/password', {
      ...at(journeyId),
      body: { transactionToken, username, password },
    }),
  );
}

export function sendSms(t: TestApp, journeyId: string, transactionToken: string): Promise<Response> {
  return asResponse(
    ciamClient(t).POST('/journeys/{journeyId}/sms-otp/send', { ...at(journeyId), body: { transactionToken } }),
  );
}

export function resendSms(t: TestApp, journeyId: string, transactionToken: string): Promise<Response> {
  return asResponse(
    ciamClient(t).POST('/journeys/{journeyId}/sms-otp/resend', { ...at(journeyId), body: { transactionToken } }),
  );
}

export function verifySms(t: TestApp, journeyId: string, transactionToken: string, code: string): Promise<Response> {
  return asResponse(
    ciamClient(t).POST('/journeys/{journeyId}/sms-otp', { ...at(journeyId), body: { transactionToken, code } }),
  );
}

export function sendPush(t: TestApp, journeyId: string, transactionToken: string): Promise<Response> {
  return asResponse(
    ciamClient(t).POST('/journeys/{journeyId}/push/send', { ...at(journeyId), body: { transactionToken } }),
  );
}

export function pollPush(
  t: TestApp,
  journeyId: string,
  transactionToken: string,
  waitSeconds?: number,
): Promise<Response> {
  return asResponse(
    ciamClient(t).POST('/journeys/{journeyId}/push', {
      ...at(journeyId),
      body: { transactionToken, ...(waitSeconds === undefined ? {} : { waitSeconds }) },
    }),
  );
}

export function proveDevice(t: TestApp, journeyId: string, transactionToken: string, proof: string): Promise<Response> {
  return asResponse(
    ciamClient(t).POST('/journeys/{journeyId}/device-proof', { ...at(journeyId), body: { transactionToken, proof } }),
  );
}

export function signDocument(
  t: TestApp,
  journeyId: string,
  body: Schemas['EsignDto'],
  headers: Record<string, string> = {},
): Promise<Response> {
  return asResponse(ciamClient(t, headers).POST('/journeys/{journeyId}/esign', { ...at(journeyId), body }));
}

export function bindDevice(t: TestApp, journeyId: string, body: Schemas['DeviceBindDto']): Promise<Response> {
  return asResponse(ciamClient(t).POST('/journeys/{journeyId}/device-bind', { ...at(journeyId), body }));
}
