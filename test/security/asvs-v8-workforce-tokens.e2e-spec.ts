import { useTestApp } from '../support/app';
import { newSession } from '../support/factories';
import { registerStandardClients } from '../support/oauth';
import { hmacSigned, unsigned, useForgingIdp } from './forged-jwt';

/**
 * ASVS 5 V8/V9 (authorization, self-contained tokens) for the agent API: only a signed, current
 * workforce token with `exp`, the right issuer, audience and role is admitted. Every refusal is RFC 6750
 * §3: 401 with `WWW-Authenticate: Bearer` (error="invalid_token" when a token was presented), or 403
 * insufficient_scope, in problem+json.
 */
describe('ASVS V8: workforce tokens on the agent API', () => {
  const { idp, env } = useForgingIdp();
  const t = useTestApp({ env }, registerStandardClients);
  const path = '/agent/customers/CUPID-ALICE-0001/sessions?reason=authorization%20check';
  const call = (authorization?: string) =>
    fetch(`${t.baseUrl}${path}`, { headers: authorization ? { authorization } : {} });
  const now = () => Math.floor(Date.now() / 1000);

  it('admits a good token, with iat and nbf a little ahead (clock drift within 60 s)', async () => {
    expect((await call(`Bearer ${await idp.sign()}`)).status).toBe(200);
    expect((await call(`Bearer ${await idp.sign({ iat: now() + 10 })}`)).status).toBe(200);
    expect((await call(`Bearer ${await idp.sign({ nbf: now() - 5 })}`)).status).toBe(200);
  });

  it('without a token: 401 and a Bearer challenge with no error code (RFC 6750 §3.1)', async () => {
    const response = await call();
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="ciam-agent"');
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it.each([
    ['a token without exp', () => idp.sign({ exp: undefined })],
    ['iat two minutes in the future', () => idp.sign({ iat: now() + 120 })],
    ['nbf two minutes in the future', () => idp.sign({ nbf: now() + 120 })],
    ['iat as a string', () => idp.sign({ iat: String(now()) })],
    ['an expired token', () => idp.sign({ iat: now() - 1200, exp: now() - 600 })],
    ['the wrong issuer', () => idp.sign({ iss: 'https://other-idp.test' })],
    ['the wrong audience', () => idp.sign({ aud: 'some-other-api' })],
    ['no subject', () => idp.sign({ sub: undefined })],
    ['a key the IdP does not publish, under its kid', () => idp.sign({}, {}, { foreignKey: true })],
    ['an unknown kid', () => idp.sign({}, { kid: 'kid-nobody-published' }, { foreignKey: true })],
    ['alg none', async () => unsigned({ alg: 'none', kid: idp.kid, typ: 'JWT' }, idp.claims())],
    [
      "HS256 keyed with the IdP's public key",
      async () => hmacSigned({ kid: idp.kid, typ: 'JWT' }, idp.claims(), idp.publicPem),
    ],
    ['a token that is not a JWT', async () => 'not.a.jwt'],
  ])('refuses %s: 401 invalid_token', async (_name, mint) => {
    const response = await call(`Bearer ${await mint()}`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="ciam-agent", error="invalid_token"');
    expect(await response.json()).toMatchObject({ status: 401, type: 'urn:ciam:problem:unauthenticated' });
  });

  it('a genuine token without the agent role: 403 insufficient_scope', async () => {
    const response = await call(`Bearer ${await idp.sign({ roles: ['ciam-viewer'] })}`);
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="ciam-agent", error="insufficient_scope"');
  });

  it('the same checks guard writes: a revoke-all with a token without exp changes nothing', async () => {
    const session = await newSession(t.dataSource, { cupid: 'CUPID-ALICE-0001' });
    const response = await fetch(`${t.baseUrl}/agent/customers/CUPID-ALICE-0001/sessions/revoke-all`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await idp.sign({ exp: undefined })}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'forged token attempt' }),
    });
    expect(response.status).toBe(401);
    expect(await t.dataSource.query(`SELECT status FROM sessions WHERE id = $1`, [session.id])).toEqual([
      { status: 'ACTIVE' },
    ]);
  });
});
