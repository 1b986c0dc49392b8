import { createCiamClient, type CiamClient } from '../../client';
import type { TestApp } from './app';
import { contractCheck } from './contract';

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
 * What the journey and OAuth helpers answer: a Response (status, headers, JSON body), as the specs read it; the body
 * was already parsed by the typed client and checked against openapi.yaml.
 */
export async function asResponse(
  call: Promise<{ data?: unknown; error?: unknown; response: Response }>,
): Promise<Response> {
  const { data, error, response } = await call;
  const body = data ?? error;
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
