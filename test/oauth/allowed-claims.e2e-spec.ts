import { ClientsService } from '../../src/clients/clients.service';
import { useTestApp } from '../support/app';
import { completeLogin, exchangeCode, registerStandardClients, SPA } from '../support/oauth';

/**
 * A client's claim policy (oauth_clients.allowed_claims, issue 16 item 1): userinfo releases, of the claims the
 * granted scopes cover, only those the client may receive; a client without a list gets all of them.
 */
describe('userinfo under a client’s allowed claims', () => {
  const t = useTestApp({}, async (app) => {
    await registerStandardClients(app);
    await app.app.get(ClientsService).register({
      clientId: 'claims-spa',
      name: 'A partner that may see the email address only',
      type: 'PUBLIC',
      redirectUris: [SPA.redirectUri],
      grantTypes: ['authorization_code'],
      scopes: ['openid', 'profile', 'email'],
      allowedClaims: ['email'],
    });
  });

  async function userinfo(clientId: string): Promise<Record<string, unknown>> {
    const login = await completeLogin(t, { clientId, scope: 'openid profile email' });
    const tokens = await exchangeCode(t, login, { client_id: clientId });
    expect(tokens.status).toBe(200);
    const { access_token: accessToken } = (await tokens.json()) as { access_token: string };
    const response = await fetch(`${t.baseUrl}/oauth2/userinfo`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  }

  it('releases only the allowed claims of the granted scopes', async () => {
    expect(await userinfo('claims-spa')).toEqual({ sub: 'CUPID-ALICE-0001', email: 'alice@example.test' });
  });

  it('releases every claim of the scopes to a client without a list', async () => {
    expect(await userinfo(SPA.clientId)).toEqual({
      sub: 'CUPID-ALICE-0001',
      name: 'Alice Example',
      preferred_username: 'alice',
      email: 'alice@example.test',
    });
  });

  it('follows a change of the list at once (the client cache is invalidated)', async () => {
    await t.app.get(ClientsService).update('claims-spa', { allowedClaims: ['preferred_username'] });
    expect(await userinfo('claims-spa')).toEqual({ sub: 'CUPID-ALICE-0001', preferred_username: 'alice' });
  });
});
