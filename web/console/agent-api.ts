// The /agent API through the typed client (client/, generated from openapi.yaml): every call carries the
// agent's bearer token and the reason the agent stated; every answer is checked against the document's types.
import { api } from '../shared/api';
import type { AgentSession } from './auth';

/** The agent's token was refused (expired or revoked at the IdP): the console asks for a new sign-in. */
export class SignInRequired extends Error {}

/** Any other refusal, with the problem+json detail the service gave. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export interface AuditFilters {
  types?: string;
  from?: string;
  to?: string;
}

/** The data of an answer, or the failure as an exception (401 means: sign in again). */
async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch {
    throw new ApiFailure(0, 'network');
  }
  if (result.response.status === 401) throw new SignInRequired();
  if (!result.response.ok) {
    const problem = (result.error ?? {}) as { detail?: string; title?: string; errors?: { messages: string[] }[] };
    const detail = problem.errors?.flatMap((error) => error.messages).join('; ') || problem.detail || problem.title;
    throw new ApiFailure(result.response.status, detail ?? result.response.statusText);
  }
  return result.data as T;
}

/** The calls one signed-in agent makes about one customer. */
export function agentApi(session: AgentSession) {
  const headers = { Authorization: `Bearer ${session.accessToken}` };
  return {
    sessions: (cupid: string, reason: string, cursor?: string) =>
      unwrap(
        api.GET('/agent/customers/{cupid}/sessions', {
          params: { path: { cupid }, query: { reason, limit: 20, ...(cursor ? { cursor } : {}) } },
          headers,
        }),
      ),
    revokeSession: (cupid: string, sessionId: string, reason: string) =>
      unwrap(
        api.POST('/agent/customers/{cupid}/sessions/{sessionId}/revoke', {
          params: { path: { cupid, sessionId } },
          body: { reason },
          headers,
        }),
      ),
    revokeAllSessions: (cupid: string, reason: string) =>
      unwrap(
        api.POST('/agent/customers/{cupid}/sessions/revoke-all', {
          params: { path: { cupid } },
          body: { reason },
          headers,
        }),
      ),
    devices: (cupid: string, reason: string) =>
      unwrap(api.GET('/agent/customers/{cupid}/devices', { params: { path: { cupid }, query: { reason } }, headers })),
    /** 204 on success: true, so that a caller can tell it from a failure. */
    revokeDevice: async (cupid: string, deviceId: string, reason: string) => {
      await unwrap(
        api.POST('/agent/customers/{cupid}/devices/{deviceId}/revoke', {
          params: { path: { cupid, deviceId } },
          body: { reason },
          headers,
        }),
      );
      return true as const;
    },
    mfa: (cupid: string, reason: string) =>
      unwrap(api.GET('/agent/customers/{cupid}/mfa', { params: { path: { cupid }, query: { reason } }, headers })),
    unlockMfa: (cupid: string, reason: string) =>
      unwrap(
        api.POST('/agent/customers/{cupid}/mfa/unlock', { params: { path: { cupid } }, body: { reason }, headers }),
      ),
    audit: (cupid: string, reason: string, filters: AuditFilters, cursor?: string) =>
      unwrap(
        api.GET('/agent/customers/{cupid}/audit', {
          params: {
            path: { cupid },
            query: {
              reason,
              limit: 25,
              ...(filters.types ? { types: filters.types } : {}),
              ...(filters.from ? { from: filters.from } : {}),
              ...(filters.to ? { to: filters.to } : {}),
              ...(cursor ? { cursor } : {}),
            },
          },
          headers,
        }),
      ),
  };
}

export type AgentApi = ReturnType<typeof agentApi>;
export type SessionPage = Awaited<ReturnType<AgentApi['sessions']>>;
export type DeviceList = Awaited<ReturnType<AgentApi['devices']>>;
export type MfaStanding = Awaited<ReturnType<AgentApi['mfa']>>;
export type AuditPage = Awaited<ReturnType<AgentApi['audit']>>;
