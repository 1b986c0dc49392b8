import { decodeJwt } from 'jose';
import { useTestApp } from '../support/app';
import { completeLogin, exchangeCode, postForm, refresh, registerStandardClients, SPA } from '../support/oauth';

/**
 * RFC 6749 §6 (refreshing an access token): a refresh may ask for a narrower scope. The access token (and
 * the ID token, when openid stays) get that narrower scope; the refresh token keeps the original grant, so
 * a later refresh can ask for the rest again. Anything beyond the grant is invalid_scope, and changes nothing.
 */
describe('RFC 6749 §6: scope on refresh', () => {
  const t = useTestApp({}, registerStandardClients);

  async function signedIn(scope = 'openid profile email') {
    const login = await completeLogin(t, { scope });
    const tokens = await (await exchangeCode(t, login)).json();
    return { login, tokens: tokens as { access_token: string; refresh_token: string; scope: string } };
  }

  const refreshWithScope = (token: string, scope: string) =>
    postForm(t, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: token, client_id: SPA.clientId, scope });

  it('a narrower refresh narrows the access token, and the next refresh still has the whole grant', async () => {
    const { tokens } = await signedIn();
    const narrowed = await refreshWithScope(tokens.refresh_token, 'openid email');
    expect(narrowed.status).toBe(200);
    const body = await narrowed.json();
    expect(body.scope).toBe('openid email');
    expect(decodeJwt(body.access_token).scope).toBe('openid email');
    expect(body.id_token).toEqual(expect.any(String));

    // The new refresh token still carries openid profile email: a plain refresh gets all of it back.
    const [row] = await t.dataSource.query(
      `SELECT scope FROM tokens WHERE type = 'REFRESH' AND status = 'ACTIVE' AND parent_id IS NOT NULL ORDER BY created_at DESC LIMIT 1`,
    );
    expect(row.scope).toBe('openid profile email');
    const widened = await (await refresh(t, body.refresh_token)).json();
    expect(widened.scope).toBe('openid profile email');
    expect(decodeJwt(widened.access_token).scope).toBe('openid profile email');
  });

  it('narrowing away openid gives no ID token, and userinfo refuses the narrowed access token', async () => {
    const { tokens } = await signedIn();
    const body = await (await refreshWithScope(tokens.refresh_token, 'profile')).json();
    expect(body.scope).toBe('profile');
    expect(body.id_token).toBeUndefined();
    const userinfo = await fetch(`${t.baseUrl}/oauth2/userinfo`, {
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    expect(userinfo.status).toBe(403);
    expect((await userinfo.json()).error).toBe('insufficient_scope');
    expect((await (await refreshWithScope(body.refresh_token, 'openid')).json()).scope).toBe('openid');
  });

  it('a scope beyond the grant is invalid_scope, and the refresh token stays unused', async () => {
    const { tokens } = await signedIn('openid profile');
    const beyond = await refreshWithScope(tokens.refresh_token, 'openid email');
    expect(beyond.status).toBe(400);
    expect(await beyond.json()).toEqual({
      error: 'invalid_scope',
      error_description: 'scope exceeds what was granted: email',
    });
    const empty = await refreshWithScope(tokens.refresh_token, ' ');
    expect(empty.status).toBe(400);
    expect((await empty.json()).error).toBe('invalid_scope');
    // Nothing was rotated by the refused requests: the token still works, once.
    expect((await refresh(t, tokens.refresh_token)).status).toBe(200);
  });
});
