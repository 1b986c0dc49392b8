import { DataSource } from 'typeorm';
import { ClientsService } from '../../src/clients/clients.service';
import { SessionsService } from '../../src/sessions/sessions.service';
import { AuthorizationCodesService } from '../../src/tokens/authorization-codes.service';
import { useTestApp } from '../support/app';
import {
  completeLogin,
  exchangeCode,
  pkcePair,
  postForm,
  registerClient,
  registerStandardClients,
  SPA,
} from '../support/oauth';
import { VendorServer } from '../support/vendor-server';

const PARTNER = { clientId: 'partner-budget', redirectUri: 'https://partner.example/callback' };
const ALICE = 'CUPID-ALICE-0001';

/*
 * Review of issue 16: a third-party application joins the customer's single sign-on session (SSO, after consent).
 * When it revokes its refresh token (RFC 7009, what a partner does at its own sign-out), its grant ends: its tokens
 * in that session. It must not end the customer's session with the bank's own applications, which it does not own
 * (the same rule as a client's deactivation: a shared session only loses that client).
 */
describe('RFC 7009: a third-party application revoking its refresh token', () => {
  // Both relying parties listen for back-channel logout (OIDC Back-Channel Logout 1.0), on a local server.
  const rp = new VendorServer();
  const t = useTestApp({ env: { OUTBOX_DELIVERY_ENABLED: 'true', OUTBOX_POLL_INTERVAL_MS: '50' } }, async (app) => {
    await rp.start();
    rp.always({ kind: 'status', status: 200 });
    await registerStandardClients(app);
    await app.app.get(ClientsService).setBackchannelLogout(SPA.clientId, `${rp.url}/spa/backchannel`, false);
    await registerClient(app, {
      clientId: PARTNER.clientId,
      name: 'Partner budget app',
      type: 'PUBLIC',
      redirectUris: [PARTNER.redirectUri],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['openid'],
      firstParty: false,
      backchannelLogoutUri: `${rp.url}/partner/backchannel`,
    });
  });
  afterAll(() => rp.stop());

  /** What SsoService does for the partner under alice's live session (consent on record): join it, mint a code. */
  async function partnerJoins(sessionId: string): Promise<{ access_token: string; refresh_token: string }> {
    const client = (await t.app.get(ClientsService).findActive(PARTNER.clientId))!;
    const pkce = pkcePair();
    const code = await t.app.get(DataSource).transaction(async (tx) => {
      expect(await t.app.get(SessionsService).joinClient(tx, sessionId, client)).toBeTruthy();
      return t.app.get(AuthorizationCodesService).mint(tx, {
        client,
        sessionId,
        cupid: ALICE,
        redirectUri: PARTNER.redirectUri,
        codeChallenge: pkce.challenge,
        nonce: null,
        scope: 'openid',
      });
    });
    const response = await exchangeCode(
      t,
      { code, verifier: pkce.verifier, sessionId, cupid: ALICE, nonce: '' },
      { client_id: PARTNER.clientId, redirect_uri: PARTNER.redirectUri },
    );
    expect(response.status).toBe(200);
    return (await response.json()) as { access_token: string; refresh_token: string };
  }

  const userinfo = (token: string) =>
    fetch(`${t.baseUrl}/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } });

  it("ends the partner's tokens in the session, not the customer's session with the bank's own app", async () => {
    const login = await completeLogin(t, { cupid: ALICE, scope: 'openid' });
    const own = (await (await exchangeCode(t, login)).json()) as { access_token: string; refresh_token: string };
    const partner = await partnerJoins(login.sessionId);

    const revoked = await postForm(t, '/oauth2/revoke', {
      token: partner.refresh_token,
      token_type_hint: 'refresh_token',
      client_id: PARTNER.clientId,
    });
    expect(revoked.status).toBe(200);

    // The partner's grant is over: its access token and refresh token no longer work.
    expect((await userinfo(partner.access_token)).status).toBe(401);
    const again = await postForm(t, '/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: partner.refresh_token,
      client_id: PARTNER.clientId,
    });
    expect(again.status).toBe(400);

    // The customer's session, and the bank's app's tokens in it, go on.
    expect((await userinfo(own.access_token)).status).toBe(200);
    const [session] = await t.dataSource.query(`SELECT status FROM sessions WHERE id = $1`, [login.sessionId]);
    expect(session.status).toBe('ACTIVE');
    const refreshed = await postForm(t, '/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: own.refresh_token,
      client_id: SPA.clientId,
    });
    expect(refreshed.status).toBe(200);
  });

  it('the partner leaves the session: /me no longer lists it, and a later logout sends it no logout token', async () => {
    const login = await completeLogin(t, { cupid: ALICE, scope: 'openid' });
    const own = (await (await exchangeCode(t, login)).json()) as { access_token: string; refresh_token: string };
    const partner = await partnerJoins(login.sessionId);
    const mySession = async () => {
      const response = await fetch(`${t.baseUrl}/me/sessions`, {
        headers: { authorization: `Bearer ${own.access_token}` },
      });
      expect(response.status).toBe(200);
      const { sessions } = (await response.json()) as { sessions: Array<{ id: string; clientIds: string[] }> };
      return sessions.find((session) => session.id === login.sessionId);
    };
    expect((await mySession())?.clientIds).toEqual([SPA.clientId, PARTNER.clientId]);

    const revoked = await postForm(t, '/oauth2/revoke', { token: partner.refresh_token, client_id: PARTNER.clientId });
    expect(revoked.status).toBe(200);
    expect((await mySession())?.clientIds).toEqual([SPA.clientId]);

    // The customer signs out of the bank's app: the session ends, the SPA is told, the partner (gone) is not.
    const signOut = await fetch(`${t.baseUrl}/me/sessions/${login.sessionId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${own.access_token}` },
    });
    expect(signOut.status).toBe(204);
    const logoutMessages = () =>
      t.dataSource.query<Array<{ destination: string; state: string }>>(
        `SELECT destination, state FROM outbox_messages WHERE channel = 'backchannel_logout' AND payload->>'sid' = $1`,
        [login.sessionId],
      );
    const deadline = Date.now() + 10_000;
    while (!(await logoutMessages()).some((message) => message.state === 'DELIVERED')) {
      if (Date.now() > deadline) throw new Error("timed out waiting for the SPA's logout token");
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    // The fan-out enqueues every client's message at once: the SPA's is the only one.
    expect((await logoutMessages()).map((message) => message.destination)).toEqual([SPA.clientId]);
    expect(rp.requests.map((request) => request.url)).toEqual(['/spa/backchannel']);
  });

  it('revocation wins a race with the partner refreshing: no partner token of the session lives on', async () => {
    for (let round = 0; round < 5; round += 1) {
      const login = await completeLogin(t, { cupid: ALICE, scope: 'openid' });
      const partner = await partnerJoins(login.sessionId);
      const [refreshed, revoked] = await Promise.all([
        postForm(t, '/oauth2/token', {
          grant_type: 'refresh_token',
          refresh_token: partner.refresh_token,
          client_id: PARTNER.clientId,
        }),
        postForm(t, '/oauth2/revoke', { token: partner.refresh_token, client_id: PARTNER.clientId }),
      ]);
      expect(revoked.status).toBe(200);
      expect([200, 400]).toContain(refreshed.status);
      // Whatever the order, the partner holds nothing live under the session, a successor included.
      const live = await t.dataSource.query(
        `SELECT id FROM tokens WHERE session_id = $1 AND client_id = $2 AND status = 'ACTIVE'`,
        [login.sessionId, PARTNER.clientId],
      );
      expect(live).toEqual([]);
      if (refreshed.status === 200) {
        const successor = (await refreshed.json()) as { access_token: string };
        expect((await userinfo(successor.access_token)).status).toBe(401);
      }
      const [session] = await t.dataSource.query(`SELECT status, client_ids FROM sessions WHERE id = $1`, [
        login.sessionId,
      ]);
      expect(session).toEqual({ status: 'ACTIVE', client_ids: [SPA.clientId] });
    }
  });
});
