import { randomUUID } from 'node:crypto';
import { useTestApp } from '../support/app';
import { contractFetch } from '../support/contract';
import { registerStandardClients, SPA } from '../support/oauth';

/**
 * Malformed and hostile input on every public surface: always a clear 4xx in the endpoint's own error
 * format (problem+json on the REST API, RFC 6749 JSON on OAuth endpoints), never a 500.
 */
describe('bad input never ends in a 500', () => {
  const t = useTestApp({}, registerStandardClients);
  const journeyId = randomUUID();
  const json = (body: unknown) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const form = (body: string, headers: Record<string, string> = {}) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });

  const cases: Array<[string, string, RequestInit]> = [
    [
      'journey start: wrong types',
      '/journeys',
      json({ clientId: 7, redirectUri: [], codeChallenge: null, codeChallengeMethod: 'S256', scope: {} }),
    ],
    ['journey start: a JSON array', '/journeys', json([1, 2, 3])],
    ['journey start: __proto__ pollution', '/journeys', json('{"__proto__": {"admin": true}, "clientId": "test-spa"}')],
    [
      'password: unknown journey',
      `/journeys/${journeyId}/password`,
      json({ transactionToken: 'x'.repeat(43), username: 'alice', password: 'p' }),
    ],
    [
      'password: not a uuid',
      '/journeys/not-a-uuid/password',
      json({ transactionToken: 'x'.repeat(43), username: 'alice', password: 'p' }),
    ],
    [
      'password: 10,000-character username',
      `/journeys/${journeyId}/password`,
      json({ transactionToken: 'x'.repeat(43), username: 'a'.repeat(10_000), password: 'p' }),
    ],
    [
      'forgot password: 10,000-character username',
      `/journeys/${journeyId}/reset/username`,
      json({ transactionToken: 'x'.repeat(43), username: 'a'.repeat(10_000) }),
    ],
    [
      'forgot password: a new password that is not a string',
      `/journeys/${journeyId}/reset/password`,
      json({ transactionToken: 'x'.repeat(43), newPassword: { $ne: null } }),
    ],
    ['service API tokens: no credentials, wrong types', '/api-tokens', json({ cupid: 7, name: [], scopes: 'x' })],
    ['federation tokens: no credentials, wrong types', '/federation/tokens', json({ cupid: 7, provider: ['x'] })],
    [
      'federated start: a provider id that is not a slug',
      `/journeys/${journeyId}/federated/start`,
      json({ transactionToken: 'x'.repeat(43), providerId: { $ne: null } }),
    ],
    [
      'federated callback: a response far too long',
      `/journeys/${journeyId}/federated/callback`,
      json({ transactionToken: 'x'.repeat(43), response: 'code=x&'.repeat(2000) }),
    ],
    [
      'federated callback: an unknown token',
      `/journeys/${journeyId}/federated/callback`,
      json({ transactionToken: 'x'.repeat(43), response: 'code=x&state=y' }),
    ],
    ['federation providers (admin): no credentials, wrong types', '/agent/admin/federation/providers', json({ id: 7 })],
    ['sms code: letters', `/journeys/${journeyId}/sms-otp`, json({ transactionToken: 'x'.repeat(43), code: 'abcdef' })],
    [
      'device bind: a private key and a garbage proof',
      `/journeys/${journeyId}/device-bind`,
      json({ transactionToken: 'x'.repeat(43), publicKey: { kty: 'RSA', d: 'x' }, proof: 'not.a.jws', name: 'x' }),
    ],
    [
      'push answer: garbage signature',
      `/devices/push-challenges/${journeyId}/response`,
      json({ decision: 'approve', number: 42, signature: 'x'.repeat(40) }),
    ],
    [
      'token: garbage Basic credentials',
      '/oauth2/token',
      form('grant_type=client_credentials', { authorization: 'Basic %%%not-base64' }),
    ],
    [
      'token: Basic with a bad percent-encoding',
      '/oauth2/token',
      form('grant_type=client_credentials', { authorization: `Basic ${Buffer.from('%zz:%zz').toString('base64')}` }),
    ],
    [
      'token: repeated parameters',
      '/oauth2/token',
      form('grant_type=refresh_token&grant_type=refresh_token&client_id=test-spa'),
    ],
    [
      'token: a 5,000-character refresh token',
      '/oauth2/token',
      form(`grant_type=refresh_token&client_id=test-spa&refresh_token=${'r'.repeat(5000)}`),
    ],
    [
      'consent: scopes that are not a list',
      `/journeys/${journeyId}/consent`,
      json({ transactionToken: 'x'.repeat(43), scopes: { openid: true } }),
    ],
    [
      'token: a DPoP header that is no JWT',
      '/oauth2/token',
      form('grant_type=refresh_token&client_id=test-spa&refresh_token=r', { dpop: 'not-a-jwt' }),
    ],
    [
      'token: a client assertion that is no JWT',
      '/oauth2/token',
      form(
        'grant_type=client_credentials&client_id=test-service&client_assertion=x.y.z' +
          '&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer',
      ),
    ],
    ['client admin: no credentials, wrong types', '/agent/admin/clients', json({ clientId: 7, grantTypes: 'x' })],
    ['introspect: no body', '/oauth2/introspect', { method: 'POST' }],
    [
      'end_session: a forged ID token',
      '/oauth2/end_session',
      form('id_token_hint=eyJhbGciOiJub25lIn0.eyJzaWQiOiJ4In0.'),
    ],
  ];

  it.each(cases)('%s', async (_name, path, init) => {
    // The refusal is one openapi.yaml declares for the operation, with a body it describes.
    const response = await contractFetch(`${t.baseUrl}${path}`, init);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    const type = response.headers.get('content-type') ?? '';
    if (path.startsWith('/oauth2/'))
      expect(await response.json()).toEqual({ error: expect.any(String), error_description: expect.any(String) });
    else expect(type).toContain('application/problem+json');
  });

  it.each([
    [
      'authorize: repeated client_id',
      `/oauth2/authorize?client_id=a&client_id=b&redirect_uri=${encodeURIComponent(SPA.redirectUri)}`,
    ],
    [
      'agent API without a token and with a garbage cursor',
      '/agent/customers/CUPID-1/audit?reason=checking&cursor=%00%00',
    ],
    ['self-service with a garbage token', '/me/sessions'],
    ['userinfo with a bearer of spaces', '/oauth2/userinfo'],
  ])('%s', async (_name, path) => {
    const response = await fetch(`${t.baseUrl}${path}`, {
      headers: { authorization: 'Bearer    ' },
      redirect: 'manual',
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });
});
