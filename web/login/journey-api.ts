// The journey calls the page makes, through the typed client (client/, generated from openapi.yaml): each
// answers either the journey's next view or the problem (RFC 9457) with what the page needs from it.
import type { Schemas } from '../../client';
import { api } from '../shared/api';

/** What the journey asks next: a union discriminated on `type` (and on `phase` for SMS_OTP, EMAIL_OTP, PUSH, PASSKEY). */
export type NextStep = Schemas['JourneyNextStep'];
/** A journey answer: PENDING with the next step and a fresh token, or COMPLETED with the redirect back. */
export type JourneyView = Schemas['JourneyResponse'];
/** A second factor offered in the CHOOSE phase, with what the customer sees of it. */
export type FactorOption = Schemas['SecondFactorOption'];
export type Step<Type extends NextStep['type'], Phase = unknown> = Extract<
  NextStep,
  { type: Type } & (Phase extends string ? { phase: Phase } : unknown)
>;

export interface Problem {
  /** The last segment of the problem type URI, e.g. `invalid-credentials`. */
  code: string;
  status: number;
  detail: string | null;
  /** Seconds from Retry-After, when the service sent it. */
  retryAfter: number | null;
  /** A fresh token for the same step (a wrong password), or null: the current token stays valid or is gone. */
  transactionToken: string | null;
  attemptsLeft: number | null;
  /** Second factors the same token can do instead (a spent push budget). */
  alternatives: string[];
  /** The rules a refused value broke (a 422 PASSWORD_POLICY_VIOLATION's `errors[].messages`). */
  errors: string[];
  /** Where the browser goes after a refusal the application must hear of (CONSENT_DENIED: access_denied). */
  redirectTo: string | null;
}

export type Answer = { ok: true; view: JourneyView } | { ok: false; problem: Problem };

interface Raw {
  data?: unknown;
  error?: unknown;
  response: Response;
}

function answer({ data, error, response }: Raw): Answer {
  if (response.ok && data) return { ok: true, view: data as JourneyView };
  // Problem bodies carry per-type members beyond ProblemDto (transactionToken, attemptsLeft, alternatives).
  const body = (error ?? {}) as Record<string, unknown>;
  const retryAfter = Number(response.headers.get('retry-after'));
  const type = typeof body.type === 'string' ? body.type : '';
  return {
    ok: false,
    problem: {
      code: type.startsWith('urn:ciam:problem:') ? type.slice('urn:ciam:problem:'.length) : `http-${response.status}`,
      status: response.status,
      detail: typeof body.detail === 'string' ? body.detail : null,
      retryAfter: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
      transactionToken: typeof body.transactionToken === 'string' ? body.transactionToken : null,
      attemptsLeft: typeof body.attemptsLeft === 'number' ? body.attemptsLeft : null,
      // [{ "type": "SMS_OTP" }]: the factors the same token can do instead.
      alternatives: Array.isArray(body.alternatives)
        ? body.alternatives.map((entry: unknown) =>
            typeof entry === 'object' && entry !== null ? String((entry as { type?: unknown }).type) : String(entry),
          )
        : [],
      errors: Array.isArray(body.errors)
        ? body.errors.flatMap((entry: unknown) =>
            typeof entry === 'object' && entry !== null && Array.isArray((entry as { messages?: unknown }).messages)
              ? (entry as { messages: unknown[] }).messages.map(String)
              : [],
          )
        : [],
      redirectTo: typeof body.redirectTo === 'string' ? body.redirectTo : null,
    },
  };
}

/** A network failure looks like a problem too, so every screen handles one shape. */
async function call(run: () => Promise<Raw>): Promise<Answer> {
  try {
    return answer(await run());
  } catch {
    return { ok: false, problem: localProblem('network') };
  }
}

/** A problem the page itself found (no answer from the service, or one it cannot read): nothing but its code. */
export function localProblem(code: string): Problem {
  return {
    code,
    status: 0,
    detail: null,
    retryAfter: null,
    transactionToken: null,
    attemptsLeft: null,
    alternatives: [],
    errors: [],
    redirectTo: null,
  };
}

const path = (journeyId: string) => ({ params: { path: { journeyId } } });

export interface DeviceHints {
  bind?: boolean;
  keyThumbprint?: string;
}

export interface ResetStart {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
}

export const journeyApi = {
  /** A forgot-password journey for the same client, redirect and PKCE challenge as the sign-in's. */
  startReset: (start: ResetStart) =>
    call(() =>
      api.POST('/journeys', {
        body: { ...start, codeChallengeMethod: 'S256', scope: 'openid', channel: 'WEB', purpose: 'password_reset' },
      }),
    ),
  resetUsername: (journeyId: string, transactionToken: string, username: string) =>
    call(() =>
      api.POST('/journeys/{journeyId}/reset/username', { ...path(journeyId), body: { transactionToken, username } }),
    ),
  resetPassword: (journeyId: string, transactionToken: string, newPassword: string) =>
    call(() =>
      api.POST('/journeys/{journeyId}/reset/password', {
        ...path(journeyId),
        body: { transactionToken, newPassword },
      }),
    ),
  password: (journeyId: string, transactionToken: string, username: string, password: string, device?: DeviceHints) =>
    call(() =>
      api.POST('/journeys/{journeyId}/password', {
        ...path(journeyId),
        body: { transactionToken, username, password, ...(device ? { device } : {}) },
      }),
    ),
  sendSms: (journeyId: string, transactionToken: string) =>
    call(() => api.POST('/journeys/{journeyId}/sms-otp/send', { ...path(journeyId), body: { transactionToken } })),
  resendSms: (journeyId: string, transactionToken: string) =>
    call(() => api.POST('/journeys/{journeyId}/sms-otp/resend', { ...path(journeyId), body: { transactionToken } })),
  verifySms: (journeyId: string, transactionToken: string, code: string) =>
    call(() => api.POST('/journeys/{journeyId}/sms-otp', { ...path(journeyId), body: { transactionToken, code } })),
  sendEmail: (journeyId: string, transactionToken: string) =>
    call(() => api.POST('/journeys/{journeyId}/email-otp/send', { ...path(journeyId), body: { transactionToken } })),
  resendEmail: (journeyId: string, transactionToken: string) =>
    call(() => api.POST('/journeys/{journeyId}/email-otp/resend', { ...path(journeyId), body: { transactionToken } })),
  verifyEmail: (journeyId: string, transactionToken: string, code: string) =>
    call(() => api.POST('/journeys/{journeyId}/email-otp', { ...path(journeyId), body: { transactionToken, code } })),
  verifyTotp: (journeyId: string, transactionToken: string, code: string) =>
    call(() => api.POST('/journeys/{journeyId}/totp/verify', { ...path(journeyId), body: { transactionToken, code } })),
  recoveryCode: (journeyId: string, transactionToken: string, code: string) =>
    call(() =>
      api.POST('/journeys/{journeyId}/recovery-code', { ...path(journeyId), body: { transactionToken, code } }),
    ),
  sendPush: (journeyId: string, transactionToken: string) =>
    call(() => api.POST('/journeys/{journeyId}/push/send', { ...path(journeyId), body: { transactionToken } })),
  pollPush: (journeyId: string, transactionToken: string, waitSeconds: number) =>
    call(() => api.POST('/journeys/{journeyId}/push', { ...path(journeyId), body: { transactionToken, waitSeconds } })),
  esign: (
    journeyId: string,
    transactionToken: string,
    document: { documentId: string; version: string; sha256: string },
    accept: boolean,
  ) =>
    call(() =>
      api.POST('/journeys/{journeyId}/esign', { ...path(journeyId), body: { transactionToken, ...document, accept } }),
    ),
  consent: (journeyId: string, transactionToken: string, scopes: string[]) =>
    call(() => api.POST('/journeys/{journeyId}/consent', { ...path(journeyId), body: { transactionToken, scopes } })),
  bindDevice: (
    journeyId: string,
    transactionToken: string,
    body: {
      publicKey: { kty: string; crv: string; x: string; y: string };
      proof: string;
      name: string;
      platform?: string;
    },
  ) =>
    call(() =>
      api.POST('/journeys/{journeyId}/device-bind', { ...path(journeyId), body: { transactionToken, ...body } }),
    ),
  proveDevice: (journeyId: string, transactionToken: string, proof: string) =>
    call(() =>
      api.POST('/journeys/{journeyId}/device-proof', { ...path(journeyId), body: { transactionToken, proof } }),
    ),
  passkeyLoginOptions: (journeyId: string, transactionToken: string) =>
    call(() =>
      api.POST('/journeys/{journeyId}/passkey-login/options', { ...path(journeyId), body: { transactionToken } }),
    ),
  passkeyLogin: (journeyId: string, transactionToken: string, credential: Record<string, unknown>) =>
    call(() =>
      api.POST('/journeys/{journeyId}/passkey-login', { ...path(journeyId), body: { transactionToken, credential } }),
    ),
  passkeyOptions: (journeyId: string, transactionToken: string) =>
    call(() => api.POST('/journeys/{journeyId}/passkey/options', { ...path(journeyId), body: { transactionToken } })),
  verifyPasskey: (journeyId: string, transactionToken: string, credential: Record<string, unknown>) =>
    call(() =>
      api.POST('/journeys/{journeyId}/passkey', { ...path(journeyId), body: { transactionToken, credential } }),
    ),
  passkeyEnrolOptions: (journeyId: string, transactionToken: string) =>
    call(() =>
      api.POST('/journeys/{journeyId}/passkey-enrol/options', { ...path(journeyId), body: { transactionToken } }),
    ),
  passkeyEnrol: (journeyId: string, transactionToken: string, credential: Record<string, unknown>) =>
    call(() =>
      api.POST('/journeys/{journeyId}/passkey-enrol', { ...path(journeyId), body: { transactionToken, credential } }),
    ),
  /** The upstream identity providers a customer may sign in with (id and name). */
  federationProviders: async (): Promise<Array<{ id: string; displayName: string }>> => {
    try {
      const { data } = await api.GET('/federation/providers');
      return data?.providers ?? [];
    } catch {
      return [];
    }
  },
  federatedStart: (journeyId: string, transactionToken: string, providerId: string) =>
    call(() =>
      api.POST('/journeys/{journeyId}/federated/start', {
        ...path(journeyId),
        body: { transactionToken, providerId },
      }),
    ),
  federatedCallback: (journeyId: string, transactionToken: string, response: string) =>
    call(() =>
      api.POST('/journeys/{journeyId}/federated/callback', {
        ...path(journeyId),
        body: { transactionToken, response },
      }),
    ),
  skipPasskeyEnrol: (journeyId: string, transactionToken: string) =>
    call(() =>
      api.POST('/journeys/{journeyId}/passkey-enrol/skip', { ...path(journeyId), body: { transactionToken } }),
    ),
};
