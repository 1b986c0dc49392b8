import { useTestApp } from '../support/app';
import type { TestApp } from '../support/app';
import { introspect, postForm, registerClient, registerStandardClients, SERVICE, SPA } from '../support/oauth';
import { signInAlice } from './login';
import { expectOAuthError } from './oauth-assertions';

const OTHER_SPA = 'other-spa';

async function setup(t: TestApp): Promise<void> {
  await registerStandardClients(t);
  await registerClient(t, {
    clientId: OTHER_SPA,
    name: 'Other SPA',
    type: 'PUBLIC',
    redirectUris: ['http://localhost:5174/cb'],
    postLogoutRedirectUris: [],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['openid'],
  });
}

/**
 * RFC 7009 (token revocation): the owner revokes its tokens; a token of another client, an unknown
 * token or a wrong hint changes nothing the caller may not touch, and still answers 200 (§2.2), so the
 * endpoint is no oracle. Client authentication is required as at the token endpoint (§2.1).
 */
describe('RFC 7009: token revocation', () => {
  const t = useTestApp({}, setup);
  const revoke = (params: Record<string, string>) => postForm(t, '/oauth2/revoke', params);

  it('revoking an access token: 200, no-store, and the token is dead at once', async () => {
    const tokens = await signInAlice(t);
    const response = await revoke({ token: tokens.access_token, client_id: SPA.clientId });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await introspect(t, tokens.access_token)).toEqual({ active: false });
    expect(
      (await fetch(`${t.baseUrl}/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } }))
        .status,
    ).toBe(401);
  });

  it("revoking a refresh token ends the grant: the refresh token and the session's access token stop working (§2.1)", async () => {
    const tokens = await signInAlice(t);
    expect((await revoke({ token: tokens.refresh_token, client_id: SPA.clientId })).status).toBe(200);
    expect(await introspect(t, tokens.access_token)).toEqual({ active: false });
    await expectOAuthError(
      await postForm(t, '/oauth2/token', {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: SPA.clientId,
      }),
      400,
      'invalid_grant',
    );
  });

  it('a wrong token_type_hint is only a hint (§2.1): the refresh token is still revoked', async () => {
    const tokens = await signInAlice(t);
    expect(
      (await revoke({ token: tokens.refresh_token, token_type_hint: 'access_token', client_id: SPA.clientId })).status,
    ).toBe(200);
    await expectOAuthError(
      await postForm(t, '/oauth2/token', {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: SPA.clientId,
      }),
      400,
      'invalid_grant',
    );
  });

  it('an unknown token: 200 and nothing else (§2.2)', async () => {
    const response = await revoke({ token: 'x'.repeat(43), client_id: SPA.clientId });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });

  it("another client's token: 200, but the token stays active (§2.1: only the client it was issued to)", async () => {
    const tokens = await signInAlice(t);
    expect((await revoke({ token: tokens.refresh_token, client_id: OTHER_SPA })).status).toBe(200);
    expect(await introspect(t, tokens.access_token)).toMatchObject({ active: true });
    const rows = await t.dataSource.query(
      `SELECT outcome, details FROM audit_logs WHERE event_type = 'token.revoked' AND client_id = $1`,
      [OTHER_SPA],
    );
    expect(rows).toEqual([
      { outcome: 'FAILURE', details: expect.objectContaining({ reason: 'issued to another client' }) },
    ]);
  });

  it('no client authentication: 401 invalid_client, and nothing is revoked', async () => {
    const tokens = await signInAlice(t);
    await expectOAuthError(await revoke({ token: tokens.access_token }), 401, 'invalid_client');
    await expectOAuthError(
      await postForm(t, '/oauth2/revoke', { token: tokens.access_token }, { id: SERVICE.clientId, secret: 'wrong' }),
      401,
      'invalid_client',
    );
    expect(await introspect(t, tokens.access_token)).toMatchObject({ active: true });
  });

  it('no token parameter: invalid_request', async () => {
    await expectOAuthError(await revoke({ client_id: SPA.clientId }), 400, 'invalid_request');
  });

  it('only POST: a GET revokes nothing', async () => {
    const tokens = await signInAlice(t);
    const response = await fetch(`${t.baseUrl}/oauth2/revoke?token=${tokens.access_token}&client_id=${SPA.clientId}`);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(await introspect(t, tokens.access_token)).toMatchObject({ active: true });
  });
});
