import { useTestApp } from '../support/app';
import {
  completeLogin,
  exchangeCode,
  postForm,
  registerClient,
  registerStandardClients,
  SERVICE,
} from '../support/oauth';

/**
 * RFC 7662 §2.2 and §4: introspection tells a resource server about access tokens presented to it; a
 * refresh token is a credential of the client it was issued to, so any other client (even one allowed to
 * introspect) hears only {"active": false}, the same answer as for an unknown token.
 */
describe('RFC 7662: token introspection', () => {
  const OWNER = { clientId: 'web-backend', secret: 'web-backend-secret-0123456789' };
  const t = useTestApp({}, async (app) => {
    await registerStandardClients(app);
    // A confidential web app that signs customers in, refreshes and may introspect its own tokens.
    await registerClient(app, {
      clientId: OWNER.clientId,
      name: 'Web backend',
      type: 'CONFIDENTIAL',
      secret: OWNER.secret,
      redirectUris: ['https://web.example/callback'],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'profile'],
      canIntrospect: true,
    });
  });

  async function ownerTokens() {
    const login = await completeLogin(t, { clientId: OWNER.clientId, redirectUri: 'https://web.example/callback' });
    const response = await postForm(
      t,
      '/oauth2/token',
      {
        grant_type: 'authorization_code',
        code: login.code,
        redirect_uri: 'https://web.example/callback',
        code_verifier: login.verifier,
      },
      { id: OWNER.clientId, secret: OWNER.secret },
    );
    expect(response.status).toBe(200);
    return { login, tokens: (await response.json()) as { access_token: string; refresh_token: string } };
  }

  const introspectAs = async (as: { id: string; secret: string }, token: string) =>
    (await postForm(t, '/oauth2/introspect', { token }, as)).json();

  it('describes a refresh token to the client it was issued to, and to no other', async () => {
    const { login, tokens } = await ownerTokens();
    expect(await introspectAs({ id: OWNER.clientId, secret: OWNER.secret }, tokens.refresh_token)).toMatchObject({
      active: true,
      token_type: 'refresh_token',
      client_id: OWNER.clientId,
      sub: login.cupid,
      sid: login.sessionId,
    });
    expect(await introspectAs({ id: SERVICE.clientId, secret: SERVICE.secret }, tokens.refresh_token)).toEqual({
      active: false,
    });
  });

  it('describes an access token to any client allowed to introspect (a resource server)', async () => {
    const { login, tokens } = await ownerTokens();
    expect(await introspectAs({ id: SERVICE.clientId, secret: SERVICE.secret }, tokens.access_token)).toMatchObject({
      active: true,
      token_type: 'Bearer',
      client_id: OWNER.clientId,
      sub: login.cupid,
    });
  });

  it('says only active:false for unknown, ID and revoked-session tokens', async () => {
    const login = await completeLogin(t);
    const tokens = await (await exchangeCode(t, login)).json();
    const service = { id: SERVICE.clientId, secret: SERVICE.secret };
    expect(await introspectAs(service, 'not-a-token')).toEqual({ active: false });
    expect(await introspectAs(service, tokens.id_token)).toEqual({ active: false });
    await t.dataSource.query(`UPDATE sessions SET status = 'REVOKED', revoked_at = now() WHERE id = $1`, [
      login.sessionId,
    ]);
    // The token row is untouched: its session's end alone makes it inactive.
    expect(await introspectAs(service, tokens.access_token)).toEqual({ active: false });
  });
});
