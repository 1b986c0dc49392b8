import { useTestApp } from '../support/app';
import { postForm, registerStandardClients, SERVICE, SPA } from '../support/oauth';
import { signInAlice } from './login';

/**
 * RFC 6750 (bearer token usage) at the customer's protected resources (/oauth2/userinfo and /me): the
 * token travels in the Authorization header only (RFC 9700 §4.3.2 forbids the query), a refusal is a
 * 401 with a `WWW-Authenticate: Bearer` challenge (§3), and a token works only while its row is live.
 */
describe('RFC 6750: bearer tokens', () => {
  const t = useTestApp({}, registerStandardClients);
  const userinfo = (headers: Record<string, string> = {}, query = '') =>
    fetch(`${t.baseUrl}/oauth2/userinfo${query}`, { headers });
  const me = (headers: Record<string, string> = {}) => fetch(`${t.baseUrl}/me/sessions`, { headers });

  it('the Authorization header works, whatever the case of the scheme (RFC 7235 §2.1)', async () => {
    const tokens = await signInAlice(t);
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      expect((await userinfo({ authorization: `${scheme} ${tokens.access_token}` })).status).toBe(200);
      expect((await me({ authorization: `${scheme} ${tokens.access_token}` })).status).toBe(200);
    }
  });

  it('without a token: 401 and a Bearer challenge', async () => {
    for (const response of [await userinfo(), await me()]) {
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="ciam"/);
    }
  });

  it('no credentials at all (§3.1): a challenge without an error code, on userinfo and on /me', async () => {
    const bare = await userinfo({});
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toBe('Bearer realm="ciam"');
    const meBare = await me({});
    expect(meBare.status).toBe(401);
    expect(meBare.headers.get('www-authenticate')).toBe('Bearer realm="ciam"');
  });

  it('a token in the query (§2.3) or in a form body (§2.2) is not accepted', async () => {
    const tokens = await signInAlice(t);
    expect((await userinfo({}, `?access_token=${tokens.access_token}`)).status).toBe(401);
    const form = await fetch(`${t.baseUrl}/oauth2/userinfo`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${tokens.access_token}`,
    });
    expect(form.status).toBe(401);
    expect((await fetch(`${t.baseUrl}/me/sessions?access_token=${tokens.access_token}`)).status).toBe(401);
  });

  it.each([
    ['garbage', 'Bearer not-a-token'],
    ['the Basic scheme', `Basic ${Buffer.from('alice:alice-password').toString('base64')}`],
    ['two tokens', 'Bearer a b'],
    ['an empty token', 'Bearer '],
  ])('%s: 401 with error="invalid_token"', async (_name, authorization) => {
    const response = await userinfo({ authorization });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="ciam", error="invalid_token"/);
    expect(await response.json()).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
    expect((await me({ authorization })).status).toBe(401);
  });

  it('an ID token or a refresh token is not an access token', async () => {
    const tokens = await signInAlice(t);
    for (const token of [tokens.id_token, tokens.refresh_token]) {
      expect((await userinfo({ authorization: `Bearer ${token}` })).status).toBe(401);
      expect((await me({ authorization: `Bearer ${token}` })).status).toBe(401);
    }
  });

  it('an expired access token: 401', async () => {
    const tokens = await signInAlice(t);
    t.clock.advance(t.config.tokens.accessTtlSeconds - 5);
    expect((await userinfo({ authorization: `Bearer ${tokens.access_token}` })).status).toBe(200);
    t.clock.advance(6);
    expect((await userinfo({ authorization: `Bearer ${tokens.access_token}` })).status).toBe(401);
    expect((await me({ authorization: `Bearer ${tokens.access_token}` })).status).toBe(401);
  });

  it('a revoked access token: 401 at once, before it expires', async () => {
    const tokens = await signInAlice(t);
    expect((await postForm(t, '/oauth2/revoke', { token: tokens.access_token, client_id: SPA.clientId })).status).toBe(
      200,
    );
    expect((await userinfo({ authorization: `Bearer ${tokens.access_token}` })).status).toBe(401);
    expect((await me({ authorization: `Bearer ${tokens.access_token}` })).status).toBe(401);
  });

  it('a token without a customer (client_credentials) at userinfo: 403 insufficient_scope; at /me: 401', async () => {
    const service = await (
      await postForm(t, '/oauth2/token', {
        grant_type: 'client_credentials',
        client_id: SERVICE.clientId,
        client_secret: SERVICE.secret,
      })
    ).json();
    const response = await userinfo({ authorization: `Bearer ${service.access_token}` });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect((await me({ authorization: `Bearer ${service.access_token}` })).status).toBe(401);
  });

  it("a token of one customer never reads another's data: userinfo answers for the token's own subject", async () => {
    const tokens = await signInAlice(t);
    const body = await (await userinfo({ authorization: `Bearer ${tokens.access_token}` })).json();
    expect(body.sub).toBe('CUPID-ALICE-0001');
  });
});
