import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { ClientsService } from '../../src/clients/clients.service';
import { ClientDeactivationService } from '../../src/tokens/client-deactivation.service';
import { BACKCHANNEL_LOGOUT_CHANNEL } from '../../src/logout/backchannel-logout.handlers';
import { startTestApp } from '../support/app';
import type { TestApp } from '../support/app';
import { journeyStep, submitPassword } from '../support/journeys';
import {
  auditEvents,
  completeLogin,
  exchangeCode,
  introspect,
  registerStandardClients,
  SERVICE,
} from '../support/oauth';
import { Slapd, startSlapd } from '../support/slapd';
import { VendorServer } from '../support/vendor-server';
import { useWorkforceIdp } from '../support/workforce';

const APP = { clientId: 'budget-app', name: 'Budget App', redirectUri: 'http://localhost:6001/callback' };
const ALICE = 'CUPID-ALICE-0001';
const LOGIN_UI = 'http://localhost:5173/login';

/**
 * Consent (issue 16 item 2): openid-client as a third-party relying party, through /oauth2/authorize and the
 * journey API with the CONSENT step, against a real slapd and PostgreSQL. A partial grant narrows the tokens and
 * what userinfo releases; consent on record skips the step, prompt=consent forces it, prompt=none without it is
 * consent_required; withdrawing a scope kills at once the tokens that carry it and no other, withdrawing the
 * application's consent kills all of them and tells the application by back-channel logout (a receiver the test
 * runs); unticking a granted scope at the consent screen withdraws it the same way; agents see and withdraw with a
 * reason; everything is audited.
 */
describe('consent for a third-party application', () => {
  const { idp, env: agentEnv } = useWorkforceIdp();
  const receiver = new VendorServer();
  let slapd: Slapd;
  let t: TestApp;
  let app: oidc.Configuration;
  let service: oidc.Configuration;

  beforeAll(async () => {
    slapd = await startSlapd();
    await receiver.start();
    receiver.always({ kind: 'status', status: 200 });
    t = await startTestApp({
      env: {
        ...slapd.env,
        ...agentEnv,
        LOGIN_UI_URL: LOGIN_UI,
        OUTBOX_DELIVERY_ENABLED: 'true',
        OUTBOX_POLL_INTERVAL_MS: '50',
        REFRESH_TOKEN_GRACE_SECONDS: '0',
      },
    });
    await registerStandardClients(t);
    const clients = t.app.get(ClientsService);
    await clients.register({
      clientId: APP.clientId,
      name: APP.name,
      type: 'PUBLIC',
      redirectUris: [APP.redirectUri],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'profile', 'email', 'offline_access'],
      backchannelLogoutUri: `${receiver.url}/budget/backchannel`,
    });
    // Third-party (issue 16 item 1's column; the admin API sets it, here the row does and the cache hears NOTIFY).
    await t.dataSource.query(`UPDATE oauth_clients SET first_party = false WHERE client_id = $1`, [APP.clientId]);
    await waitFor(async () => (await clients.findActive(APP.clientId))?.firstParty === false, 'the client cache');
    const options = { execute: [oidc.allowInsecureRequests] };
    const issuer = new URL(t.config.oidc.issuer);
    app = await oidc.discovery(issuer, APP.clientId, undefined, oidc.None(), options);
    service = await oidc.discovery(
      issuer,
      SERVICE.clientId,
      undefined,
      oidc.ClientSecretBasic(SERVICE.secret),
      options,
    );
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
    await slapd?.stop();
  });

  /** The application's authorization request as openid-client builds it, and the redemption of its answer. */
  async function request(scope: string, extra: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(app, {
      redirect_uri: APP.redirectUri,
      scope,
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...extra,
    });
    const redeem = (location: string) =>
      oidc.authorizationCodeGrant(app, new URL(location), {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
      });
    return { url, state, redeem };
  }

  const visit = (url: URL, cookie?: string) => fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });

  function toLogin(response: Response) {
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(LOGIN_UI);
    const fragment = new URLSearchParams(location.hash.slice(1));
    return {
      journeyId: fragment.get('journey')!,
      token: fragment.get('transaction_token')!,
      step: fragment.get('step'),
    };
  }

  const consent = (journeyId: string, transactionToken: string, scopes: string[]) =>
    journeyStep(t, journeyId, 'consent', { transactionToken, scopes });

  /** alice signs in to the application through the hosted page, up to the consent screen. */
  async function aliceUpToConsent(scope: string, extra: Record<string, string> = {}) {
    const flow = await request(scope, extra);
    const login = toLogin(await visit(flow.url));
    expect(login.step).toBe('PASSWORD');
    const answer = await submitPassword(t, login.journeyId, login.token, 'alice', 'alice-password');
    expect(answer.status).toBe(200);
    return { flow, journeyId: login.journeyId, answer, body: await answer.json() };
  }

  const cookieOf = (response: Response) => response.headers.getSetCookie()[0].split(';')[0];

  const userinfo = (accessToken: string) =>
    fetch(`${t.baseUrl}/oauth2/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });

  /** alice's own (first-party) app's access token, for /me. */
  async function aliceAtHome(): Promise<string> {
    const response = await exchangeCode(t, await completeLogin(t, { cupid: ALICE }));
    return ((await response.json()) as { access_token: string }).access_token;
  }

  const me = async (method: string, path: string, token?: string) =>
    fetch(`${t.baseUrl}/me/consents${path}`, {
      method,
      headers: { authorization: `Bearer ${token ?? (await aliceAtHome())}` },
    });

  let cookie: string;
  let broad: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
  let sid: string;

  it('asks consent last, in plain words, and a partial grant narrows the tokens and userinfo', async () => {
    const { flow, journeyId, body } = await aliceUpToConsent('openid profile email');
    expect(body).toMatchObject({ status: 'PENDING', nextStep: { type: 'CONSENT' } });
    expect(body.nextStep.client).toEqual({ clientId: APP.clientId, name: APP.name });
    expect(body.nextStep.scopes).toEqual([
      {
        scope: 'openid',
        required: true,
        granted: false,
        text: { en: 'Sign you in with your bank login', de: 'Sie mit Ihrem Bank-Login anmelden' },
        claims: [{ claim: 'sub', text: { en: 'An identifier for you', de: 'Eine Kennung für Sie' } }],
      },
      expect.objectContaining({
        scope: 'profile',
        required: false,
        claims: [
          { claim: 'name', text: { en: 'Your name', de: 'Ihr Name' } },
          { claim: 'preferred_username', text: { en: 'Your username', de: 'Ihr Benutzername' } },
        ],
      }),
      expect.objectContaining({
        scope: 'email',
        text: { en: 'See your email address', de: 'Ihre E-Mail-Adresse sehen' },
      }),
    ]);

    // A scope not asked for, or leaving out openid, is refused; the same token stays valid.
    const beyond = await consent(journeyId, body.transactionToken, ['openid', 'phone']);
    expect(beyond.status).toBe(400);
    expect(await beyond.json()).toMatchObject({ type: 'urn:ciam:problem:consent-scopes-invalid' });
    expect((await consent(journeyId, body.transactionToken, ['profile'])).status).toBe(400);

    const granted = await consent(journeyId, body.transactionToken, ['openid', 'profile']);
    expect(granted.status).toBe(200);
    cookie = cookieOf(granted);
    const done = await granted.json();
    expect(done.status).toBe('COMPLETED');
    broad = await flow.redeem(done.redirectTo);
    sid = broad.claims()!.sid as string;
    expect(broad.scope).toBe('openid profile');
    const jwks = createRemoteJWKSet(new URL(app.serverMetadata().jwks_uri!));
    const access = await jwtVerify(broad.access_token, jwks, { issuer: t.config.oidc.issuer, typ: 'at+jwt' });
    expect(access.payload.scope).toBe('openid profile');
    // userinfo releases the profile, never the email the customer did not allow.
    expect(await oidc.fetchUserInfo(app, broad.access_token, ALICE)).toEqual({
      sub: ALICE,
      name: expect.any(String),
      preferred_username: 'alice',
    });

    const records = await t.dataSource.query(
      `SELECT scope, revoked, revoked_at, granted_at = updated_at AS fresh FROM consent_records
        WHERE cupid = $1 AND client_id = $2 ORDER BY scope`,
      [ALICE, APP.clientId],
    );
    expect(records).toEqual([
      { scope: 'openid', revoked: false, revoked_at: null, fresh: true },
      { scope: 'profile', revoked: false, revoked_at: null, fresh: true },
    ]);
    const [event] = await auditEvents(t, { cupid: ALICE, type: 'consent.granted' });
    expect(event).toMatchObject({
      actor_type: 'CUSTOMER',
      client_id: APP.clientId,
      details: { scopes: ['openid', 'profile'], requested: ['openid', 'profile', 'email'], forced: false },
    });
  });

  it('skips the step within the granted scopes: a new login completes at the password, SSO answers at once', async () => {
    const { flow, body } = await aliceUpToConsent('openid profile');
    expect(body.status).toBe('COMPLETED');
    expect((await flow.redeem(body.redirectTo)).scope).toBe('openid profile');

    const sso = await request('openid');
    const answer = await visit(sso.url, cookie);
    expect(answer.status).toBe(302);
    const tokens = await sso.redeem(answer.headers.get('location')!);
    expect(tokens.claims()!.sid).toBe(sid);
    expect(tokens.scope).toBe('openid');
  });

  it('prompt=none without consent is consent_required at the redirect URI', async () => {
    const sso = await request('openid email', { prompt: 'none' });
    const answer = await visit(sso.url, cookie);
    expect(answer.status).toBe(302);
    const location = new URL(answer.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(APP.redirectUri);
    expect(location.searchParams.get('error')).toBe('consent_required');
    expect(location.searchParams.get('state')).toBe(sso.state);
  });

  it('prompt=consent asks again under the live session: a journey with the CONSENT step alone', async () => {
    const sso = await request('openid profile', { prompt: 'consent' });
    const login = toLogin(await visit(sso.url, cookie));
    expect(login.step).toBe('CONSENT');
    const answer = await consent(login.journeyId, login.token, ['openid', 'profile']);
    expect(answer.status).toBe(200);
    // No new authentication happened: the session keeps its cookie and auth_time.
    expect(answer.headers.getSetCookie()).toEqual([]);
    const tokens = await sso.redeem((await answer.json()).redirectTo);
    expect(tokens.claims()).toMatchObject({ sid, auth_time: broad.claims()!.auth_time });
    const [{ same }] = await t.dataSource.query(
      `SELECT granted_at < updated_at AS same FROM consent_records WHERE cupid = $1 AND client_id = $2 AND scope = 'profile'`,
      [ALICE, APP.clientId],
    );
    expect(same).toBe(true);
    const events = await auditEvents(t, { cupid: ALICE, type: 'consent.granted' });
    expect(events.at(-1)!.details).toMatchObject({ forced: true });
  });

  it('granting nothing ends the journey with access_denied to the redirect URI', async () => {
    const sso = await request('openid email');
    const login = toLogin(await visit(sso.url, cookie));
    expect(login.step).toBe('CONSENT');
    const answer = await consent(login.journeyId, login.token, []);
    expect(answer.status).toBe(403);
    const problem = await answer.json();
    expect(problem).toMatchObject({ type: 'urn:ciam:problem:consent-denied' });
    const back = new URL(problem.redirectTo);
    expect(`${back.origin}${back.pathname}`).toBe(APP.redirectUri);
    expect(Object.fromEntries(back.searchParams)).toMatchObject({
      error: 'access_denied',
      state: sso.state,
      iss: t.config.oidc.issuer,
    });
    const [context] = await t.dataSource.query(`SELECT status FROM auth_contexts WHERE id = $1`, [login.journeyId]);
    expect(context.status).toBe('FAILED');
    expect(await auditEvents(t, { cupid: ALICE, type: 'consent.denied' })).toHaveLength(1);
  });

  it('a third-party application cannot use the embedded journey API (it would see the password, skip consent)', async () => {
    const refused = await fetch(`${t.baseUrl}/journeys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        clientId: APP.clientId,
        redirectUri: APP.redirectUri,
        codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        codeChallengeMethod: 'S256',
        scope: 'openid profile',
        channel: 'WEB',
      }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ type: 'urn:ciam:problem:invalid-journey-request' });
  });

  it("a third-party application's token cannot read or withdraw consents", async () => {
    expect((await me('GET', '', broad.access_token)).status).toBe(403);
    expect((await me('DELETE', `/${APP.clientId}`, broad.access_token)).status).toBe(403);
  });

  it('withdrawing a scope kills at once the tokens that carry it, and only those', async () => {
    const narrow = await (async () => {
      const sso = await request('openid');
      return sso.redeem((await visit(sso.url, cookie)).headers.get('location')!);
    })();
    expect(narrow.scope).toBe('openid');
    expect((await introspect(t, broad.access_token)).active).toBe(true);

    const listed = await me('GET', '');
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual({
      consents: [
        {
          clientId: APP.clientId,
          clientName: APP.name,
          scopes: [
            expect.objectContaining({ scope: 'openid', revoked: false, revokedAt: null }),
            expect.objectContaining({ scope: 'profile', revoked: false, revokedAt: null }),
          ],
        },
      ],
    });

    const withdrawn = await me('DELETE', `/${APP.clientId}/scopes/profile`);
    expect(withdrawn.status).toBe(200);
    expect(await withdrawn.json()).toMatchObject({ scopes: ['profile'] });
    expect(await introspect(t, broad.access_token)).toEqual({ active: false });
    expect((await userinfo(broad.access_token)).status).toBe(401);
    await expect(oidc.refreshTokenGrant(app, broad.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // The token without the scope lives on.
    expect(await oidc.tokenIntrospection(service, narrow.access_token)).toMatchObject({
      active: true,
      scope: 'openid',
    });
    expect((await userinfo(narrow.access_token)).status).toBe(200);
    const [event] = await auditEvents(t, { cupid: ALICE, type: 'consent.revoked' });
    expect(event).toMatchObject({
      actor_type: 'CUSTOMER',
      actor_id: ALICE,
      client_id: APP.clientId,
      details: { scopes: ['profile'], reason: 'withdrawn by the customer' },
    });
    expect(event.details.tokensRevoked).toBeGreaterThanOrEqual(3);
    // Withdrawn already: nothing live to withdraw.
    expect((await me('DELETE', `/${APP.clientId}/scopes/profile`)).status).toBe(404);
    expect((await me('DELETE', `/${APP.clientId}/scopes/bad%20scope`)).status).toBe(400);

    // Withdrawing the application's consent kills every token it holds for alice; it hears of it by back-channel.
    receiver.requests.length = 0;
    const all = await me('DELETE', `/${APP.clientId}`);
    expect(all.status).toBe(200);
    expect(await all.json()).toMatchObject({ scopes: ['openid'] });
    expect(await introspect(t, narrow.access_token)).toEqual({ active: false });
    await expect(oidc.refreshTokenGrant(app, narrow.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await waitFor(async () => receiver.requests.some((r) => r.url === '/budget/backchannel'), 'the logout token');
    const jwks = createRemoteJWKSet(new URL(app.serverMetadata().jwks_uri!));
    const token = new URLSearchParams(receiver.requests.find((r) => r.url === '/budget/backchannel')!.body).get(
      'logout_token',
    )!;
    const { payload } = await jwtVerify(token, jwks, { issuer: t.config.oidc.issuer, audience: APP.clientId });
    expect(payload).toMatchObject({ sub: ALICE, sid });
    // The channel the revocation enqueues on is the one src/logout delivers.
    const channels = await t.dataSource.query(`SELECT DISTINCT channel FROM outbox_messages WHERE destination = $1`, [
      APP.clientId,
    ]);
    expect(channels).toEqual([{ channel: BACKCHANNEL_LOGOUT_CHANNEL }]);
    // The session itself lives on: alice's other apps are not signed out.
    const [session] = await t.dataSource.query(`SELECT status FROM sessions WHERE id = $1`, [sid]);
    expect(session.status).toBe('ACTIVE');
  });

  it('agents see the consents and withdraw one with a reason, audited', async () => {
    const agent = { authorization: `Bearer ${await idp.token()}`, 'content-type': 'application/json' };
    const reason = 'Customer asked by phone (ticket INC-4711)';
    const seen = await fetch(`${t.baseUrl}/agent/customers/${ALICE}/consents?reason=${encodeURIComponent(reason)}`, {
      headers: agent,
    });
    expect(seen.status).toBe(200);
    const list = await seen.json();
    expect(list.consents[0].scopes.map((s: { revoked: boolean }) => s.revoked)).toEqual([true, true]);
    const [viewed] = await auditEvents(t, { cupid: ALICE, type: 'agent.viewed' });
    expect(viewed.details).toMatchObject({ what: 'consents', reason });

    // Nothing live: 404. alice allows it again (prompt=consent), then the agent withdraws it.
    const revoke = () =>
      fetch(`${t.baseUrl}/agent/customers/${ALICE}/consents/${APP.clientId}/revoke`, {
        method: 'POST',
        headers: agent,
        body: JSON.stringify({ reason }),
      });
    expect((await revoke()).status).toBe(404);
    const sso = await request('openid', { prompt: 'consent' });
    const login = toLogin(await visit(sso.url, cookie));
    const tokens = await sso.redeem(
      (await (await consent(login.journeyId, login.token, ['openid'])).json()).redirectTo,
    );
    const [{ revoked }] = await t.dataSource.query(
      `SELECT revoked FROM consent_records WHERE cupid = $1 AND client_id = $2 AND scope = 'openid'`,
      [ALICE, APP.clientId],
    );
    expect(revoked).toBe(false);
    const answer = await revoke();
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ scopes: ['openid'] });
    expect(await introspect(t, tokens.access_token)).toEqual({ active: false });
    const events = await auditEvents(t, { cupid: ALICE, type: 'consent.revoked' });
    expect(events.at(-1)).toMatchObject({ actor_type: 'AGENT', actor_id: 'agent-007', details: { reason } });
  });

  /** alice allows the application `scope` again under her session (prompt=consent) and gets its tokens. */
  async function grantAgain(scope: string) {
    const sso = await request(scope, { prompt: 'consent' });
    const login = toLogin(await visit(sso.url, cookie));
    const answer = await consent(login.journeyId, login.token, scope.split(' '));
    return sso.redeem((await answer.json()).redirectTo);
  }

  const liveTokens = async () =>
    (
      await t.dataSource.query(
        `SELECT count(*)::int AS n FROM tokens WHERE cupid = $1 AND client_id = $2 AND status IN ('ACTIVE', 'ROTATED')`,
        [ALICE, APP.clientId],
      )
    )[0].n as number;

  const liveRecords = async () =>
    (
      await t.dataSource.query(
        `SELECT scope FROM consent_records WHERE cupid = $1 AND client_id = $2 AND NOT revoked ORDER BY scope`,
        [ALICE, APP.clientId],
      )
    ).map((row: { scope: string }) => row.scope) as string[];

  const logoutsQueued = async () =>
    (
      await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox_messages WHERE destination = $1`, [APP.clientId])
    )[0].n as number;

  // Wave 6: the customer's latest answer is the record (Google's granular consent, Keycloak's consent screen).
  it('unticking a granted scope at the consent screen withdraws it, as /me/consents does', async () => {
    const earlier = await grantAgain('openid profile');
    expect(earlier.scope).toBe('openid profile');
    expect(await liveRecords()).toEqual(['openid', 'profile']);
    const withdrawals = (await auditEvents(t, { cupid: ALICE, type: 'consent.revoked' })).length;

    // Unticking a scope never granted (email) changes nothing; profile, not asked for this time, stays.
    const other = await request('openid email', { prompt: 'consent' });
    const first = toLogin(await visit(other.url, cookie));
    expect(first.step).toBe('CONSENT');
    const kept = await consent(first.journeyId, first.token, ['openid']);
    expect(kept.status).toBe(200);
    expect((await other.redeem((await kept.json()).redirectTo)).scope).toBe('openid');
    expect(await liveRecords()).toEqual(['openid', 'profile']);
    expect(await auditEvents(t, { cupid: ALICE, type: 'consent.revoked' })).toHaveLength(withdrawals);
    expect(await introspect(t, earlier.access_token)).toMatchObject({ active: true, scope: 'openid profile' });

    // Asked for openid and profile again, alice leaves profile unticked: it is withdrawn in the step's transaction.
    const queued = await logoutsQueued();
    const again = await request('openid profile', { prompt: 'consent' });
    const login = toLogin(await visit(again.url, cookie));
    expect(login.step).toBe('CONSENT');
    const answer = await consent(login.journeyId, login.token, ['openid']);
    expect(answer.status).toBe(200);
    const now = await again.redeem((await answer.json()).redirectTo);
    expect(now.scope).toBe('openid');
    expect(await liveRecords()).toEqual(['openid']);
    const [record] = await t.dataSource.query(
      `SELECT revoked_at IS NOT NULL AS stamped FROM consent_records WHERE cupid = $1 AND client_id = $2 AND scope = 'profile'`,
      [ALICE, APP.clientId],
    );
    expect(record.stamped).toBe(true);
    expect(await auditEvents(t, { cupid: ALICE, type: 'consent.revoked' })).toHaveLength(withdrawals + 1);
    const withdrawal = await auditEvents(t, { contextId: login.journeyId, type: 'consent.revoked' });
    expect(withdrawal).toEqual([
      expect.objectContaining({
        outcome: 'SUCCESS',
        actor_type: 'CUSTOMER',
        actor_id: ALICE,
        client_id: APP.clientId,
        details: expect.objectContaining({
          scopes: ['profile'],
          reason: 'unticked at the consent screen',
          sessions: 0,
          codesDeleted: 0,
        }),
      }),
    ]);
    expect(withdrawal[0].details.tokensRevoked).toBeGreaterThanOrEqual(2);
    const [granted] = (await auditEvents(t, { contextId: login.journeyId, type: 'consent.granted' })).map(
      (event) => event.details,
    );
    expect(granted).toMatchObject({ scopes: ['openid'], requested: ['openid', 'profile'], forced: true });
    // The earlier tokens carried profile: dead at once, and their refresh token cannot bring it back.
    expect(await introspect(t, earlier.access_token)).toEqual({ active: false });
    expect((await userinfo(earlier.access_token)).status).toBe(401);
    await expect(oidc.refreshTokenGrant(app, earlier.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // The new ones live, and refresh into openid alone: never into the withdrawn scope.
    expect(await introspect(t, now.access_token)).toMatchObject({ active: true, scope: 'openid' });
    await expect(oidc.refreshTokenGrant(app, now.refresh_token!, { scope: 'openid profile' })).rejects.toMatchObject({
      error: 'invalid_scope',
    });
    const refreshed = await oidc.refreshTokenGrant(app, now.refresh_token!);
    expect(await introspect(t, refreshed.access_token)).toMatchObject({ active: true, scope: 'openid' });
    // The session the journey joined is the one the new tokens belong to: no back-channel logout for it.
    expect(now.claims()!.sid).toBe(sid);
    expect(await logoutsQueued()).toBe(queued);
  });

  it('a withdrawal racing refreshes and a code exchange wins: no token of the application survives', async () => {
    const tokens = await grantAgain('openid profile');
    // A code minted under consent and not exchanged yet, exchanged while the withdrawal runs.
    const pending = await request('openid profile');
    const location = (await visit(pending.url, cookie)).headers.get('location')!;
    const racing = [
      ...Array.from({ length: 3 }, () => oidc.refreshTokenGrant(app, tokens.refresh_token!).then(() => 'ok')),
      pending.redeem(location).then(() => 'ok'),
    ].map((attempt) => attempt.catch((error: { error?: string }) => error.error ?? 'failed'));
    const [withdrawn] = await Promise.all([me('DELETE', `/${APP.clientId}`), ...racing]);
    expect(withdrawn.status).toBe(200);
    await Promise.all(racing);
    expect(await liveTokens()).toBe(0);
    const [{ codes }] = await t.dataSource.query(
      `SELECT count(*)::int AS codes FROM authorization_codes WHERE cupid = $1 AND client_id = $2 AND redeemed_at IS NULL`,
      [ALICE, APP.clientId],
    );
    expect(codes).toBe(0);
  });

  it('deactivating the application withdraws every consent it holds, audited', async () => {
    // The race above may have ended the session (a refresh token replayed): a new login, consent asked again.
    const { flow, journeyId, body } = await aliceUpToConsent('openid', { prompt: 'consent' });
    expect(body.nextStep.type).toBe('CONSENT');
    const tokens = await flow.redeem(
      (await (await consent(journeyId, body.transactionToken, ['openid'])).json()).redirectTo,
    );
    await t.app.get(ClientDeactivationService).deactivate(APP.clientId, 'ops-test');
    const live = await t.dataSource.query(`SELECT scope FROM consent_records WHERE client_id = $1 AND NOT revoked`, [
      APP.clientId,
    ]);
    expect(live).toEqual([]);
    // Its tokens die with the cascade's sessions.
    expect(await introspect(t, tokens.access_token)).toEqual({ active: false });
    const [event] = await t.dataSource.query(
      `SELECT actor_type, actor_id, details FROM audit_logs WHERE event_type = 'consent.revoked' AND client_id = $1
        AND details->>'reason' = 'client deactivated'`,
      [APP.clientId],
    );
    expect(event).toMatchObject({ actor_type: 'SYSTEM', actor_id: 'ops-test', details: { records: 1 } });
  });
});

async function waitFor(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
