import { randomUUID } from 'node:crypto';
import { useTestApp } from '../support/app';
import { postJson, startJourney, submitPassword } from '../support/journeys';
import { pkcePair, postForm, registerStandardClients, SERVICE, SPA } from '../support/oauth';
import { useForgingIdp } from './forged-jwt';
import { signInAlice } from './login';
import { rawRequest, requestHead } from './raw-http';

/**
 * ASVS 5 V4 (API and web service) and V3 (web frontend security): what the HTTP headers promise.
 * Responses carrying a transaction token, a code, a token or personal data are never cached; the JSON
 * APIs refuse the CORS-safelisted body types (form, text/plain, multipart) with 415, so a web page
 * cannot drive them from its visitors' browsers without a preflight; the OAuth endpoints keep their
 * form bodies (RFC 6749 §3.2).
 */
describe('ASVS V4: API headers and content types', () => {
  const { idp, env } = useForgingIdp();
  const t = useTestApp({ env }, registerStandardClients);
  const countContexts = async () =>
    (await t.dataSource.query(`SELECT count(*)::int AS n FROM auth_contexts`))[0].n as number;

  describe('Cache-Control: no-store on everything that carries a secret or personal data', () => {
    it('journey start (transaction token) and password step (authorization code)', async () => {
      const pkce = pkcePair();
      const start = await postJson(t, '/journeys', {
        clientId: SPA.clientId,
        redirectUri: SPA.redirectUri,
        codeChallenge: pkce.challenge,
        codeChallengeMethod: 'S256',
        scope: 'openid',
      });
      expect(start.status).toBe(201);
      expect(start.headers.get('cache-control')).toBe('no-store');
      const journey = await start.json();
      const done = await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password');
      expect(done.status).toBe(200);
      expect((await done.json()).authorizationCode).toEqual(expect.any(String));
      expect(done.headers.get('cache-control')).toBe('no-store');
    });

    it('token, userinfo and introspection responses, with Pragma: no-cache (RFC 6749 §5.1)', async () => {
      const tokens = await signInAlice(t);
      const userinfo = await fetch(`${t.baseUrl}/oauth2/userinfo`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      const introspection = await postForm(
        t,
        '/oauth2/introspect',
        { token: tokens.access_token },
        { id: SERVICE.clientId, secret: SERVICE.secret },
      );
      const token = await postForm(t, '/oauth2/token', {
        grant_type: 'client_credentials',
        client_id: SERVICE.clientId,
        client_secret: SERVICE.secret,
      });
      for (const response of [userinfo, introspection, token]) {
        expect(response.status).toBe(200);
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(response.headers.get('pragma')).toBe('no-cache');
      }
    });

    it('the authorization redirect, whose Location carries the transaction token', async () => {
      const query = new URLSearchParams({
        response_type: 'code',
        client_id: SPA.clientId,
        redirect_uri: SPA.redirectUri,
        scope: 'openid',
        code_challenge: pkcePair().challenge,
        code_challenge_method: 'S256',
      });
      const response = await fetch(`${t.baseUrl}/oauth2/authorize?${query}`, { redirect: 'manual' });
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toContain('transaction_token=');
      expect(response.headers.get('cache-control')).toBe('no-store');
    });

    it("the customer's own sessions and devices (/me)", async () => {
      const tokens = await signInAlice(t);
      for (const path of ['/me/sessions', '/me/devices']) {
        const response = await fetch(`${t.baseUrl}${path}`, {
          headers: { authorization: `Bearer ${tokens.access_token}` },
        });
        expect(response.status).toBe(200);
        expect(response.headers.get('cache-control')).toBe('no-store');
      }
    });

    it("the agent API (a customer's sessions and audit trail)", async () => {
      for (const path of ['sessions', 'devices', 'audit']) {
        const response = await fetch(`${t.baseUrl}/agent/customers/CUPID-ALICE-0001/${path}?reason=header%20check`, {
          headers: { authorization: `Bearer ${await idp.sign()}` },
        });
        expect(response.status).toBe(200);
        expect(response.headers.get('cache-control')).toBe('no-store');
      }
    });

    it('errors, problem+json and RFC 6749 alike', async () => {
      const problem = await fetch(`${t.baseUrl}/journeys/${randomUUID()}/password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(problem.status).toBe(400);
      expect(problem.headers.get('cache-control')).toBe('no-store');
      const oauth = await postForm(t, '/oauth2/token', { grant_type: 'password' });
      expect(oauth.status).toBe(400);
      expect(oauth.headers.get('cache-control')).toBe('no-store');
    });

    it('only public metadata may be cached: discovery and JWKS', async () => {
      for (const path of ['/.well-known/openid-configuration', '/oauth2/jwks']) {
        const response = await fetch(`${t.baseUrl}${path}`);
        expect(response.headers.get('cache-control')).toBe('public, max-age=300');
        expect(response.headers.get('pragma')).toBeNull();
      }
    });
  });

  describe('JSON APIs refuse CORS-safelisted body types with 415', () => {
    const journeyBody = () => ({
      clientId: SPA.clientId,
      redirectUri: SPA.redirectUri,
      codeChallenge: pkcePair().challenge,
      codeChallengeMethod: 'S256',
      scope: 'openid',
    });

    it.each([
      [
        'a form',
        'application/x-www-form-urlencoded',
        () => new URLSearchParams(journeyBody() as Record<string, string>).toString(),
      ],
      ['text/plain holding JSON', 'text/plain', () => JSON.stringify(journeyBody())],
      ['text/plain with a charset', 'text/plain;charset=UTF-8', () => JSON.stringify(journeyBody())],
      [
        'multipart/form-data',
        'multipart/form-data; boundary=x',
        () => `--x\r\nContent-Disposition: form-data; name="clientId"\r\n\r\n${SPA.clientId}\r\n--x--\r\n`,
      ],
    ])('journey start as %s: 415 problem+json, no journey written', async (_name, type, body) => {
      const before = await countContexts();
      const response = await fetch(`${t.baseUrl}/journeys`, {
        method: 'POST',
        headers: { 'content-type': type, origin: 'https://evil.example' },
        body: body(),
      });
      expect(response.status).toBe(415);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(await response.json()).toMatchObject({ status: 415, type: 'urn:ciam:problem:unsupported-media-type' });
      expect(await countContexts()).toBe(before);
    });

    it('a body without any content type is refused too', async () => {
      const body = Buffer.from(JSON.stringify(journeyBody()));
      const response = await rawRequest(t.baseUrl, requestHead('POST', '/journeys', [], body.length), body);
      expect(response.status).toBe(415);
    });

    it('password step as text/plain: 415, and the password was not tried', async () => {
      const journey = await startJourney(t);
      const response = await fetch(`${t.baseUrl}/journeys/${journey.journeyId}/password`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ transactionToken: journey.transactionToken, username: 'alice', password: 'wrong' }),
      });
      expect(response.status).toBe(415);
      const retry = await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password');
      expect(retry.status).toBe(200);
    });

    it('agent writes, self-service and push answers as forms: 415', async () => {
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      const agent = await fetch(`${t.baseUrl}/agent/customers/CUPID-ALICE-0001/sessions/revoke-all`, {
        method: 'POST',
        headers: { ...form, authorization: `Bearer ${await idp.sign()}` },
        body: 'reason=csrf%20attempt',
      });
      expect(agent.status).toBe(415);
      const tokens = await signInAlice(t);
      const me = await fetch(`${t.baseUrl}/me/sessions/revoke-others`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', authorization: `Bearer ${tokens.access_token}` },
        body: 'x',
      });
      expect(me.status).toBe(415);
      expect(
        await t.dataSource.query(`SELECT count(*)::int AS n FROM audit_logs WHERE event_type = 'session.revoked'`),
      ).toEqual([{ n: 0 }]);
      const push = await fetch(`${t.baseUrl}/devices/push-challenges/${randomUUID()}/response`, {
        method: 'POST',
        headers: form,
        body: 'decision=approve&number=42',
      });
      expect(push.status).toBe(415);
    });

    it('JSON with a charset parameter is JSON', async () => {
      const response = await fetch(`${t.baseUrl}/journeys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(journeyBody()),
      });
      expect(response.status).toBe(201);
    });

    it('the OAuth endpoints keep taking forms (RFC 6749 §3.2)', async () => {
      const response = await postForm(t, '/oauth2/token', {
        grant_type: 'client_credentials',
        client_id: SERVICE.clientId,
        client_secret: SERVICE.secret,
      });
      expect(response.status).toBe(200);
    });
  });

  describe('browser hardening headers on every API response', () => {
    it.each(['/journeys', '/oauth2/token', '/me/sessions', '/health/live'])('%s', async (path) => {
      const response = await fetch(`${t.baseUrl}${path}`, { method: path === '/health/live' ? 'GET' : 'POST' });
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    });
  });

  describe('CORS admits only registered origins, and never credentials', () => {
    const preflight = (origin: string) =>
      fetch(`${t.baseUrl}/journeys`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });

    it("a registered redirect URI's origin", async () => {
      const response = await preflight(new URL(SPA.redirectUri).origin);
      expect(response.headers.get('access-control-allow-origin')).toBe(new URL(SPA.redirectUri).origin);
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    });

    it.each(['https://evil.example', 'null', 'http://localhost:5173.evil.example'])('not %s', async (origin) => {
      const response = await preflight(origin);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('what the client says about itself is not trusted', () => {
    it('a forged Host header changes neither the issuer nor any URL the service hands out', async () => {
      const head =
        'GET /.well-known/openid-configuration HTTP/1.1\r\nHost: evil.example\r\nX-Forwarded-Host: evil.example\r\nConnection: close\r\n\r\n';
      const response = await rawRequest(t.baseUrl, head);
      expect(response.status).toBe(200);
      expect(response.body).not.toContain('evil.example');
      expect(response.json().issuer).toBe(t.config.oidc.issuer);
    });

    it('X-Forwarded-For is ignored without TRUST_PROXY: the session records the socket address', async () => {
      const journey = await startJourney(t, {}, { 'x-forwarded-for': '203.0.113.66' });
      const done = await (
        await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password', {
          'x-forwarded-for': '203.0.113.66',
        })
      ).json();
      const tokens = await (
        await postForm(t, '/oauth2/token', {
          grant_type: 'authorization_code',
          code: done.authorizationCode,
          redirect_uri: SPA.redirectUri,
          code_verifier: journey.verifier,
          client_id: SPA.clientId,
        })
      ).json();
      const [row] = await t.dataSource.query(
        `SELECT host(ip_address) AS ip FROM sessions s JOIN tokens k ON k.session_id = s.id WHERE k.jti = $1`,
        [JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString()).jti],
      );
      expect(row.ip).toBe('127.0.0.1');
    });

    it('TRACE is not served, so no header (Authorization included) is ever echoed back', async () => {
      const response = await rawRequest(
        t.baseUrl,
        requestHead('TRACE', '/journeys', [['Authorization', 'Bearer secret-trace-value']]),
      );
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.body).not.toContain('secret-trace-value');
    });
  });

  describe('sizes', () => {
    it('a body over HTTP_BODY_LIMIT_BYTES: 413 in each format', async () => {
      const big = 'x'.repeat(t.config.http.bodyLimitBytes + 1);
      const rest = await fetch(`${t.baseUrl}/journeys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: big }),
      });
      expect(rest.status).toBe(413);
      expect(rest.headers.get('content-type')).toContain('application/problem+json');
      const oauth = await fetch(`${t.baseUrl}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&x=${big}`,
      });
      expect(oauth.status).toBe(413);
      expect(await oauth.json()).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
    });

    it("headers over Node's limit: 431 in the endpoint's format", async () => {
      const response = await rawRequest(
        t.baseUrl,
        requestHead('GET', '/me/sessions', [['X-Padding', 'p'.repeat(20_000)]]),
      );
      expect(response.status).toBe(431);
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(response.json()).toMatchObject({ status: 431 });
    });
  });
});
