import { useTestApp } from '../support/app';
import {
  auditEvents,
  completeLogin,
  exchangeCode,
  introspect,
  pkcePair,
  refresh,
  registerClient,
  registerStandardClients,
  SPA,
} from '../support/oauth';

/**
 * OAuth 2.1 §4.1.3 / RFC 6749 §4.1.2 ("Reuse of Authorization Codes"): a code works once. A second, fully
 * valid redemption (same client, redirect URI and PKCE verifier: only the real client can make it) means
 * the code leaked, and what the first redemption issued is revoked. A replay that is not otherwise valid
 * (a wrong verifier, redirect URI or client) is refused and changes nothing: a stranger who saw the code
 * must not be able to sign the customer out with it.
 */
describe('OAuth 2.1: authorization code reuse', () => {
  const t = useTestApp({}, async (app) => {
    await registerStandardClients(app);
    await registerClient(app, {
      clientId: 'other-spa',
      name: 'Other SPA',
      type: 'PUBLIC',
      redirectUris: [SPA.redirectUri],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'profile'],
    });
  });

  async function redeemed() {
    const login = await completeLogin(t);
    const first = await exchangeCode(t, login);
    expect(first.status).toBe(200);
    return { login, tokens: (await first.json()) as { access_token: string; refresh_token: string } };
  }

  const sessionStatus = async (id: string) =>
    (await t.dataSource.query('SELECT status FROM sessions WHERE id = $1', [id]))[0].status;

  it.each([
    ['a wrong PKCE verifier', () => ({ code_verifier: pkcePair().verifier })],
    ['another redirect URI', () => ({ redirect_uri: 'http://localhost:5173/elsewhere' })],
    ['another client', () => ({ client_id: 'other-spa' })],
  ])('a replay with %s is refused and signs nobody out', async (_label, overrides) => {
    const { login, tokens } = await redeemed();
    const replay = await exchangeCode(t, login, overrides());
    expect(replay.status).toBe(400);
    expect((await replay.json()).error).toBe('invalid_grant');
    expect(await sessionStatus(login.sessionId)).toBe('ACTIVE');
    expect(await introspect(t, tokens.access_token)).toMatchObject({ active: true });
    expect((await refresh(t, tokens.refresh_token)).status).toBe(200);
    const [event] = await auditEvents(t, { sessionId: login.sessionId, type: 'authorization_code.replayed' });
    expect(event).toMatchObject({
      outcome: 'FAILURE',
      details: { sessionRevoked: false, notRevokedBecause: expect.any(String) },
    });
  });

  it('a fully valid replay is refused and revokes every token the first redemption issued', async () => {
    const { login, tokens } = await redeemed();
    const replay = await exchangeCode(t, login);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'authorization code was already used',
    });
    expect(await sessionStatus(login.sessionId)).toBe('REVOKED');
    expect(await introspect(t, tokens.access_token)).toEqual({ active: false });
    expect((await refresh(t, tokens.refresh_token)).status).toBe(400);
    const [event] = await auditEvents(t, { sessionId: login.sessionId, type: 'authorization_code.replayed' });
    expect(event).toMatchObject({ outcome: 'FAILURE', details: { sessionRevoked: true } });
  });

  it('ten concurrent redemptions of one code: exactly one gets tokens', async () => {
    const login = await completeLogin(t);
    const responses = await Promise.all(Array.from({ length: 10 }, () => exchangeCode(t, login)));
    expect(responses.map((response) => response.status).sort()).toEqual([200, ...Array(9).fill(400)]);
  });
});
