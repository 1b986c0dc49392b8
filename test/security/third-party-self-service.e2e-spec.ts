import { useTestApp } from '../support/app';
import { completeLogin, exchangeCode, registerClient, registerStandardClients, SPA } from '../support/oauth';

const PARTNER = { clientId: 'partner-aggregator', redirectUri: 'https://partner.example/callback' };
const ALICE = 'CUPID-ALICE-0001';

/*
 * Review of issue 16: a third-party application's access token speaks for the customer only within the scopes the
 * customer allowed it (openid here). The self-service API (/me) manages the customer's account: their sessions
 * with every application (and where they sign in from), devices, factors, email, passkeys, API tokens, consents.
 * A partner holding an `openid` token must not read or change any of it: only the bank's own (first-party)
 * applications' tokens open /me, as /me/consents already required.
 */
describe("a third-party application's token at the self-service API", () => {
  const t = useTestApp({}, async (app) => {
    await registerStandardClients(app);
    await registerClient(app, {
      clientId: PARTNER.clientId,
      name: 'Partner aggregator',
      type: 'PUBLIC',
      redirectUris: [PARTNER.redirectUri],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['openid'],
      firstParty: false,
    });
  });

  async function accessToken(clientId: string, redirectUri: string): Promise<{ token: string; sessionId: string }> {
    // What the end of a journey does once the customer has signed in (and, for the partner, consented to openid).
    const login = await completeLogin(t, { cupid: ALICE, clientId, redirectUri, scope: 'openid' });
    const response = await exchangeCode(t, login, { client_id: clientId, redirect_uri: redirectUri });
    expect(response.status).toBe(200);
    return { token: ((await response.json()) as { access_token: string }).access_token, sessionId: login.sessionId };
  }

  const me = (token: string, method: string, path: string) =>
    fetch(`${t.baseUrl}/me${path}`, { method, headers: { authorization: `Bearer ${token}` } });

  it("refuses the partner's token (403 problem) and leaves the customer's other sessions alone", async () => {
    const home = await accessToken(SPA.clientId, SPA.redirectUri);
    const partner = await accessToken(PARTNER.clientId, PARTNER.redirectUri);

    // The bank's own app: its sessions, as before.
    const own = await me(home.token, 'GET', '/sessions');
    expect(own.status).toBe(200);

    for (const [method, path] of [
      ['GET', '/sessions'],
      ['GET', '/devices'],
      ['GET', '/factors'],
      ['DELETE', `/sessions/${home.sessionId}`],
      ['POST', '/sessions/revoke-others'],
    ] as const) {
      const response = await me(partner.token, method, path);
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 403 });
      expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ status: 403 });
      // Nothing of the customer's account in the refusal.
      expect(JSON.stringify(body)).not.toContain(ALICE);
      expect(body).not.toHaveProperty('sessions');
    }

    // The customer's session with the bank's app is still live.
    expect((await me(home.token, 'GET', '/sessions')).status).toBe(200);
    const [session] = await t.dataSource.query(`SELECT status FROM sessions WHERE id = $1`, [home.sessionId]);
    expect(session.status).toBe('ACTIVE');
  });
});
