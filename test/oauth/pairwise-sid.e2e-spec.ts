import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import { ClientsService } from '../../src/clients/clients.service';
import { BACKCHANNEL_LOGOUT_EVENT } from '../../src/logout/logout-token';
import { useTestApp } from '../support/app';
import { authorizationRequest, relyingParty, visit } from '../support/relying-party';
import { submitPassword } from '../support/journeys';
import { auditEvents, registerClient, registerStandardClients, SERVICE, SPA } from '../support/oauth';
import { useDirectoryAndSmsGateway } from '../support/sms-gateway';
import { until } from '../support/until';
import { VendorServer } from '../support/vendor-server';
import { expectedSid } from '../support/pairwise';

const ALICE = 'CUPID-ALICE-0001';
/** Two pairwise apps of one sector, one of another; each tells the test's relying-party server about logouts. */
const A1 = { clientId: 'rp-sid-a1', sector: 'a.example', redirectUri: 'http://localhost:5181/callback' };
const A2 = { clientId: 'rp-sid-a2', sector: 'a.example', redirectUri: 'http://localhost:5182/callback' };
const B = { clientId: 'rp-sid-b', sector: 'b.example', redirectUri: 'http://localhost:5183/callback' };
const PAIRWISE = [A1, A2, B];

/**
 * A pairwise client's `sid` (OpenID Connect Core §8.1, Back-Channel Logout §2.4/§2.6): in one SSO session, two
 * pairwise clients of different sectors would otherwise receive the same sid and could link the customer through it
 * although their `sub` differ. Each sector gets its own pseudonym of the session, everywhere the client meets a sid
 * (ID and access tokens, introspection, logout tokens), and end_session maps it back. The browser is fetch with the
 * provider session cookie, the relying parties are openid-client, the logout tokens are POSTed by the outbox to a
 * local server and verified with jose; a real slapd and PostgreSQL.
 */
describe('pairwise clients: a sid per sector', () => {
  const rp = new VendorServer();
  beforeAll(() => rp.start());
  afterAll(() => rp.stop());
  const { env } = useDirectoryAndSmsGateway({
    LOGIN_UI_URL: 'http://localhost:5173/login',
    OUTBOX_DELIVERY_ENABLED: 'true',
    OUTBOX_POLL_INTERVAL_MS: '50',
  });
  const t = useTestApp({ env }, async (app) => {
    await registerStandardClients(app);
    await app.app.get(ClientsService).setBackchannelLogout(SPA.clientId, `${rp.url}/${SPA.clientId}`, true);
    for (const client of PAIRWISE)
      await registerClient(app, {
        clientId: client.clientId,
        name: client.clientId,
        type: 'PUBLIC',
        redirectUris: [client.redirectUri],
        grantTypes: ['authorization_code', 'refresh_token'],
        scopes: ['openid', 'profile'],
        subjectType: 'pairwise',
        sectorIdentifier: client.sector,
        backchannelLogoutUri: `${rp.url}/${client.clientId}`,
      });
  });
  beforeEach(() => {
    rp.requests.length = 0;
    rp.always({ kind: 'status', status: 200 });
  });

  const insecure = { execute: [oidc.allowInsecureRequests] };
  const rpOf = (clientId: string) => relyingParty(t, clientId);
  const request = (clientId: string, redirectUri: string) => authorizationRequest(t, clientId, redirectUri);

  /**
   * alice signs in to the SPA through the hosted page (password), then each pairwise app gets a code at once from the
   * provider session cookie (SSO): one session, four relying parties.
   */
  async function oneSsoSession() {
    const spa = await request(SPA.clientId, SPA.redirectUri);
    const login = new URLSearchParams(new URL((await visit(spa.url)).headers.get('location')!).hash.slice(1));
    const answer = await submitPassword(
      t,
      login.get('journey')!,
      login.get('transaction_token')!,
      'alice',
      'alice-password',
    );
    expect(answer.status).toBe(200);
    const cookie = answer.headers.getSetCookie()[0].split(';')[0];
    const spaTokens = await spa.redeem(((await answer.json()) as { redirectTo: string }).redirectTo);
    const sessionId = spaTokens.claims()!.sid as string;
    const tokens: Record<string, oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> = {
      [SPA.clientId]: spaTokens,
    };
    for (const client of PAIRWISE) {
      const app = await request(client.clientId, client.redirectUri);
      const location = (await visit(app.url, cookie)).headers.get('location')!;
      expect(location.startsWith(`${client.redirectUri}?code=`)).toBe(true);
      tokens[client.clientId] = await app.redeem(location);
    }
    return { cookie, sessionId, tokens };
  }

  /** The logout token POSTed to the client's back-channel URI, verified as that relying party would (§2.6). */
  async function logoutTokenOf(clientId: string): Promise<JWTPayload> {
    const path = `/${clientId}`;
    await until(() => rp.requests.some((r) => r.url === path), `a logout token for ${clientId}`);
    const posted = rp.requests.filter((r) => r.url === path);
    expect(posted).toHaveLength(1);
    const jwks = createRemoteJWKSet(new URL((await rpOf(clientId)).serverMetadata().jwks_uri!));
    const token = new URLSearchParams(posted[0].body).get('logout_token')!;
    const { payload } = await jwtVerify(token, jwks, {
      issuer: t.config.oidc.issuer,
      audience: clientId,
      typ: 'logout+jwt',
    });
    return payload;
  }

  it('one SSO session: each sector sees its own sid (and sub), the public client the session id', async () => {
    const { sessionId, tokens } = await oneSsoSession();
    const [session] = await t.dataSource.query(`SELECT cupid, client_ids FROM sessions WHERE id = $1`, [sessionId]);
    expect(session).toEqual({ cupid: ALICE, client_ids: [SPA.clientId, A1.clientId, A2.clientId, B.clientId] });

    const claims = (clientId: string) => tokens[clientId].claims()!;
    // The public client: the session id and the CUPID, as before.
    expect(claims(SPA.clientId)).toMatchObject({ sub: ALICE, sid: sessionId });
    // Each pairwise sector: its own pseudonym of the session, shared by the apps of one sector (as their sub is).
    expect(claims(A1.clientId).sid).toBe(expectedSid('a.example', sessionId));
    expect(claims(A2.clientId).sid).toBe(claims(A1.clientId).sid);
    expect(claims(B.clientId).sid).toBe(expectedSid('b.example', sessionId));
    expect(claims(B.clientId).sid).not.toBe(claims(A1.clientId).sid);
    expect(claims(B.clientId).sub).not.toBe(claims(A1.clientId).sub);
    for (const client of PAIRWISE) {
      expect(claims(client.clientId).sid).not.toBe(sessionId);
      expect(claims(client.clientId).sub).not.toBe(ALICE);
    }

    // The access token (RFC 9068) and introspection say the same sid as the client's ID token, and a refreshed ID
    // token keeps it.
    const service = await oidc.discovery(
      new URL(t.config.oidc.issuer),
      SERVICE.clientId,
      undefined,
      oidc.ClientSecretBasic(SERVICE.secret),
      insecure,
    );
    for (const clientId of [SPA.clientId, ...PAIRWISE.map((client) => client.clientId)]) {
      const { sid, sub } = claims(clientId);
      expect(decodeJwt(tokens[clientId].access_token)).toMatchObject({ sid, sub });
      expect(await oidc.tokenIntrospection(service, tokens[clientId].access_token)).toMatchObject({
        active: true,
        client_id: clientId,
        sub,
        sid,
      });
    }
    const refreshed = await oidc.refreshTokenGrant(await rpOf(B.clientId), tokens[B.clientId].refresh_token!);
    expect(refreshed.claims()).toMatchObject({ sid: claims(B.clientId).sid, sub: claims(B.clientId).sub });
    expect(decodeJwt(refreshed.access_token).sid).toBe(claims(B.clientId).sid);
  });

  it("end_session with a pairwise client's id_token_hint ends that session; each RP's logout token has its own sid", async () => {
    const first = await oneSsoSession();
    // alice's second session (another browser): the hint must end the first, not this one.
    const second = await oneSsoSession();
    expect(second.sessionId).not.toBe(first.sessionId);

    const logout = oidc.buildEndSessionUrl(await rpOf(B.clientId), {
      id_token_hint: first.tokens[B.clientId].id_token!,
    });
    expect((await fetch(logout, { redirect: 'manual' })).status).toBe(200);
    const states = await t.dataSource.query<Array<{ id: string; status: string }>>(
      `SELECT id, status FROM sessions WHERE id = ANY($1)`,
      [[first.sessionId, second.sessionId]],
    );
    expect(Object.fromEntries(states.map((row) => [row.id, row.status]))).toEqual({
      [first.sessionId]: 'REVOKED',
      [second.sessionId]: 'ACTIVE',
    });
    expect(await auditEvents(t, { sessionId: first.sessionId, type: 'session.logout' })).toEqual([
      expect.objectContaining({
        actor_id: ALICE,
        cupid: ALICE,
        client_id: B.clientId,
        details: { sessionWasActive: true },
      }),
    ]);

    // Every relying party of the session is told, each with the sid and sub it was given (§2.6: it matches them).
    for (const clientId of [SPA.clientId, ...PAIRWISE.map((client) => client.clientId)]) {
      const seen = first.tokens[clientId].claims()!;
      expect(await logoutTokenOf(clientId)).toMatchObject({
        aud: clientId,
        sub: seen.sub,
        sid: seen.sid,
        events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      });
    }
    // The second session's tokens still work: only the session the hint named ended.
    const userinfo = await fetch(`${t.baseUrl}/oauth2/userinfo`, {
      headers: { authorization: `Bearer ${second.tokens[B.clientId].access_token}` },
    });
    expect(userinfo.status).toBe(200);
  });

  it('end_session with a pairwise hint of a session that is gone ends nothing and still records the logout', async () => {
    const { sessionId, tokens } = await oneSsoSession();
    // The retention job deleted it (its tokens and codes go with it).
    await t.dataSource.query(`DELETE FROM sessions WHERE id = $1`, [sessionId]);
    const logout = oidc.buildEndSessionUrl(await rpOf(A1.clientId), { id_token_hint: tokens[A1.clientId].id_token! });
    expect((await fetch(logout, { redirect: 'manual' })).status).toBe(200);
    const [recorded] = await t.dataSource.query(
      `SELECT session_id, client_id, details FROM audit_logs WHERE event_type = 'session.logout' AND client_id = $1
        AND cupid = $2 ORDER BY created_at DESC LIMIT 1`,
      [A1.clientId, ALICE],
    );
    expect(recorded).toEqual({ session_id: null, client_id: A1.clientId, details: { sessionWasActive: false } });
  });
});
