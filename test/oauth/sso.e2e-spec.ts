import * as oidc from 'openid-client';
import { useTestApp } from '../support/app';
import { authorizationRequest, relyingParty, visit } from '../support/relying-party';
import { cli } from '../support/cli';
import { sendSms, submitPassword, verifySms } from '../support/journeys';
import {
  auditEvents,
  completeLogin,
  exchangeCode,
  registerClient,
  registerStandardClients,
  SPA,
} from '../support/oauth';
import { useDirectoryAndSmsGateway } from '../support/sms-gateway';

/** A second app of the bank (brokerage) and a payment app that requires loa2 (client policy). */
const BROKERAGE = { clientId: 'test-brokerage', redirectUri: 'http://localhost:5174/callback' };
const PAYMENTS = { clientId: 'test-payments', redirectUri: 'http://localhost:5175/callback' };

/**
 * Issue 15 items 1-3 with openid-client as the relying parties: one login shared by two apps through the
 * provider session cookie (SSO), prompt=none with and without a session, max_age forcing a new login,
 * acr_values (and a client's minimum) stepping a loa1 session up to loa2 with only the missing factor asked.
 * A real slapd, the real SMS adapter against a local gateway; the browser is plain fetch with a cookie jar of one.
 */
describe('single sign-on, prompt, max_age and step-up (OIDC Core §3.1.2.1)', () => {
  const { gateway, env } = useDirectoryAndSmsGateway({ LOGIN_UI_URL: 'http://localhost:5173/login' });
  const t = useTestApp({ env }, async (app) => {
    await registerStandardClients(app);
    for (const [client, minAcr] of [
      [BROKERAGE, undefined],
      [PAYMENTS, 'loa2'],
    ] as const)
      await registerClient(app, {
        clientId: client.clientId,
        name: client.clientId,
        type: 'PUBLIC',
        redirectUris: [client.redirectUri],
        grantTypes: ['authorization_code', 'refresh_token'],
        scopes: ['openid', 'profile'],
        ...(minAcr ? { minAcr } : {}),
      });
  });

  const rp = (clientId: string) => relyingParty(t, clientId);
  const request = (clientId: string, redirectUri: string, extra: Record<string, string> = {}) =>
    authorizationRequest(t, clientId, redirectUri, extra);

  const fragmentOf = (response: Response) => {
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe('http://localhost:5173/login');
    return new URLSearchParams(location.hash.slice(1));
  };

  /** The cookie the response set, as the browser would send it back (name=value). */
  const cookieFrom = (response: Response): string => {
    const [setCookie] = response.headers.getSetCookie();
    expect(setCookie).toMatch(/^ciam_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
    return setCookie.split(';')[0];
  };

  /** alice signs in to the SPA through the hosted page: the last step's answer carries the session cookie. */
  async function aliceSignsInToSpa() {
    const spa = await request(SPA.clientId, SPA.redirectUri);
    const fragment = fragmentOf(await visit(spa.url));
    const answer = await submitPassword(
      t,
      fragment.get('journey')!,
      fragment.get('transaction_token')!,
      'alice',
      'alice-password',
    );
    expect(answer.status).toBe(200);
    const cookie = cookieFrom(answer);
    const body = await answer.json();
    expect(JSON.stringify(body)).not.toContain(cookie.split('=')[1]);
    const tokens = await spa.redeem(body.redirectTo);
    return { cookie, tokens, sid: tokens.claims()!.sid as string };
  }

  it('shares one login between two apps: the second gets a code at once, under the same session', async () => {
    const { cookie, sid, tokens } = await aliceSignsInToSpa();
    expect(tokens.claims()).toMatchObject({ sub: 'CUPID-ALICE-0001', acr: 'urn:ciam:loa:1', amr: ['pwd'] });

    const brokerage = await request(BROKERAGE.clientId, BROKERAGE.redirectUri);
    const answer = await visit(brokerage.url, cookie);
    expect(answer.status).toBe(302);
    const location = answer.headers.get('location')!;
    expect(location.startsWith(`${BROKERAGE.redirectUri}?code=`)).toBe(true);
    const second = await brokerage.redeem(location);
    expect(second.claims()).toMatchObject({ sub: 'CUPID-ALICE-0001', aud: BROKERAGE.clientId, sid });

    const [session] = await t.dataSource.query(
      `SELECT client_ids, cookie_hash IS NOT NULL AS hashed FROM sessions WHERE id = $1`,
      [sid],
    );
    expect(session).toEqual({ client_ids: [SPA.clientId, BROKERAGE.clientId], hashed: true });
    const [{ count }] = await t.dataSource.query(
      `SELECT count(*)::int AS count FROM sessions WHERE cupid = 'CUPID-ALICE-0001' AND id = $1`,
      [sid],
    );
    expect(count).toBe(1);
    const sso = await auditEvents(t, { sessionId: sid, type: 'sso.code_issued' });
    expect(sso).toEqual([expect.objectContaining({ client_id: BROKERAGE.clientId, outcome: 'SUCCESS' })]);
    // The cookie's value is never recorded.
    const [{ leaked }] = await t.dataSource.query(
      `SELECT count(*)::int AS leaked FROM audit_logs WHERE details::text LIKE $1`,
      [`%${cookie.split('=')[1]}%`],
    );
    expect(leaked).toBe(0);

    // The session lists both apps to the customer.
    const me = await fetch(`${t.baseUrl}/me/sessions`, { headers: { authorization: `Bearer ${second.access_token}` } });
    expect(me.status).toBe(200);
    const { sessions } = await me.json();
    expect(sessions).toEqual([
      expect.objectContaining({ id: sid, clientId: SPA.clientId, clientIds: [SPA.clientId, BROKERAGE.clientId] }),
    ]);
  });

  it('prompt=none: login_required without a session, a code with one, both back at the redirect URI with state and iss', async () => {
    const without = await request(BROKERAGE.clientId, BROKERAGE.redirectUri, { prompt: 'none' });
    const refused = await visit(without.url);
    expect(refused.status).toBe(302);
    const error = new URL(refused.headers.get('location')!);
    expect(`${error.origin}${error.pathname}`).toBe(BROKERAGE.redirectUri);
    expect(Object.fromEntries(error.searchParams)).toMatchObject({
      error: 'login_required',
      state: without.state,
      iss: t.config.oidc.issuer,
    });
    await expect(without.redeem(error.toString())).rejects.toMatchObject({ error: 'login_required' });

    const { cookie, sid } = await aliceSignsInToSpa();
    const withSession = await request(BROKERAGE.clientId, BROKERAGE.redirectUri, { prompt: 'none' });
    const tokens = await withSession.redeem((await visit(withSession.url, cookie)).headers.get('location')!);
    expect(tokens.claims()).toMatchObject({ sid, sub: 'CUPID-ALICE-0001' });

    // A cookie of an ended session is no session: RP-initiated logout ends it and clears the cookie.
    const logout = await fetch(oidc.buildEndSessionUrl(withSession.config, { id_token_hint: tokens.id_token! }), {
      redirect: 'manual',
      headers: { cookie },
    });
    expect(logout.status).toBe(200);
    expect(logout.headers.getSetCookie()).toEqual(['ciam_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0']);
    const after = await request(BROKERAGE.clientId, BROKERAGE.redirectUri, { prompt: 'none' });
    const location = new URL((await visit(after.url, cookie)).headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('login_required');
  });

  it("id_token_hint: the session's customer gives a code, another customer means a new login, a forged one is refused", async () => {
    const { cookie, tokens } = await aliceSignsInToSpa();
    const own = await request(BROKERAGE.clientId, BROKERAGE.redirectUri, {
      prompt: 'none',
      id_token_hint: tokens.id_token!,
    });
    expect((await visit(own.url, cookie)).headers.get('location')).toContain('code=');
    const forged = await request(BROKERAGE.clientId, BROKERAGE.redirectUri, {
      prompt: 'none',
      id_token_hint: `${tokens.id_token!.slice(0, -4)}AAAA`,
    });
    const refused = new URL((await visit(forged.url, cookie)).headers.get('location')!);
    expect(refused.searchParams.get('error')).toBe('invalid_request');

    // An ID token of another customer (bob): alice's session is not his, so prompt=none cannot answer with a code.
    const bob = await completeLogin(t, { cupid: 'CUPID-BOB-0002' });
    const bobTokens = await (await exchangeCode(t, bob)).json();
    const other = await request(BROKERAGE.clientId, BROKERAGE.redirectUri, {
      prompt: 'none',
      id_token_hint: bobTokens.id_token,
    });
    const mismatch = new URL((await visit(other.url, cookie)).headers.get('location')!);
    expect(mismatch.searchParams.get('error')).toBe('login_required');
    // Without prompt=none, the browser is asked to sign in afresh.
    const fresh = await request(BROKERAGE.clientId, BROKERAGE.redirectUri, { id_token_hint: bobTokens.id_token });
    expect(fragmentOf(await visit(fresh.url, cookie)).get('step')).toBe('PASSWORD');
  });

  it('max_age: an older authentication means a new login (or login_required), and auth_time is in the ID token', async () => {
    const { cookie, sid } = await aliceSignsInToSpa();
    // The customer signed in an hour ago.
    await t.dataSource.query(`UPDATE sessions SET auth_time = now() - interval '1 hour' WHERE id = $1`, [sid]);

    const recent = await request(BROKERAGE.clientId, BROKERAGE.redirectUri, { max_age: '86400' });
    const sso = await recent.redeem((await visit(recent.url, cookie)).headers.get('location')!);
    expect(sso.claims()).toMatchObject({ sid, auth_time: expect.any(Number) });
    expect(Date.now() / 1000 - (sso.claims()!.auth_time as number)).toBeGreaterThan(3000);

    const silent = await request(BROKERAGE.clientId, BROKERAGE.redirectUri, { max_age: '60', prompt: 'none' });
    expect(new URL((await visit(silent.url, cookie)).headers.get('location')!).searchParams.get('error')).toBe(
      'login_required',
    );

    const strict = await request(BROKERAGE.clientId, BROKERAGE.redirectUri, { max_age: '60' });
    const fragment = fragmentOf(await visit(strict.url, cookie));
    expect(fragment.get('step')).toBe('PASSWORD');
    const answer = await submitPassword(
      t,
      fragment.get('journey')!,
      fragment.get('transaction_token')!,
      'alice',
      'alice-password',
    );
    const fresh = await strict.redeem((await answer.json()).redirectTo);
    expect(fresh.claims()!.sid).not.toBe(sid);
    expect(Date.now() / 1000 - (fresh.claims()!.auth_time as number)).toBeLessThan(60);

    // prompt=login: a new login even with a fresh session.
    const login = await request(BROKERAGE.clientId, BROKERAGE.redirectUri, { prompt: 'login' });
    expect(fragmentOf(await visit(login.url, cookieFrom(answer))).get('step')).toBe('PASSWORD');
  });

  it('acr_values loa2 steps a loa1 session up: only the SMS code is asked, and the same session rises', async () => {
    const { cookie, sid } = await aliceSignsInToSpa();
    const payment = await request(BROKERAGE.clientId, BROKERAGE.redirectUri, { acr_values: 'urn:ciam:loa:2' });
    // prompt=none cannot step up: interaction_required.
    const silent = await request(BROKERAGE.clientId, BROKERAGE.redirectUri, {
      acr_values: 'urn:ciam:loa:2',
      prompt: 'none',
    });
    expect(new URL((await visit(silent.url, cookie)).headers.get('location')!).searchParams.get('error')).toBe(
      'interaction_required',
    );

    const fragment = fragmentOf(await visit(payment.url, cookie));
    expect(fragment.get('step')).toBe('SMS_OTP'); // no password again
    const journeyId = fragment.get('journey')!;
    const sent = await sendSms(t, journeyId, fragment.get('transaction_token')!);
    expect(sent.status).toBe(200);
    const code = /(\d{6})/.exec(JSON.parse(gateway.requests.at(-1)!.body).text)![1];
    const verified = await verifySms(t, journeyId, (await sent.json()).transactionToken, code);
    expect(verified.status).toBe(200);
    const raisedCookie = cookieFrom(verified);
    expect(raisedCookie).not.toBe(cookie); // a raised session gets a new cookie
    const tokens = await payment.redeem((await verified.json()).redirectTo);
    expect(tokens.claims()).toMatchObject({ sid, acr: 'urn:ciam:loa:2', amr: ['pwd', 'otp', 'sms'] });

    const sessions = await t.dataSource.query(
      `SELECT id, acr, amr, client_ids FROM sessions WHERE id = $1 OR context_id = $2`,
      [sid, journeyId],
    );
    expect(sessions).toEqual([
      { id: sid, acr: 'urn:ciam:loa:2', amr: ['pwd', 'otp', 'sms'], client_ids: [SPA.clientId, BROKERAGE.clientId] },
    ]);
    const events = (await auditEvents(t, { contextId: journeyId })).map((event) => event.event_type);
    expect(events).toEqual(expect.arrayContaining(['stepup.started', 'stepup.completed']));
    expect(events).not.toContain('credentials.verified');

    // The old cookie no longer names the session; the new one does, and SSO now satisfies loa2.
    const again = await request(PAYMENTS.clientId, PAYMENTS.redirectUri, { prompt: 'none' });
    expect(new URL((await visit(again.url, cookie)).headers.get('location')!).searchParams.get('error')).toBe(
      'login_required',
    );
    const sso = await again.redeem((await visit(again.url, raisedCookie)).headers.get('location')!);
    expect(sso.claims()).toMatchObject({ sid, acr: 'urn:ciam:loa:2' });
  });

  it('a client whose minimum is loa2 steps a loa1 session up without asking for acr_values', async () => {
    const { cookie } = await aliceSignsInToSpa();
    const payments = await request(PAYMENTS.clientId, PAYMENTS.redirectUri);
    expect(fragmentOf(await visit(payments.url, cookie)).get('step')).toBe('SMS_OTP');
  });

  it('takes the authorization request by form post, and answers an unknown scope with invalid_scope', async () => {
    const { cookie } = await aliceSignsInToSpa();
    const brokerage = await request(BROKERAGE.clientId, BROKERAGE.redirectUri);
    const posted = await fetch(`${t.baseUrl}/oauth2/authorize`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: brokerage.url.searchParams.toString(),
    });
    expect(posted.status).toBe(302);
    await brokerage.redeem(posted.headers.get('location')!);

    const unknown = await request(BROKERAGE.clientId, BROKERAGE.redirectUri, { scope: 'openid wire_money' });
    const refused = new URL((await visit(unknown.url)).headers.get('location')!);
    expect(Object.fromEntries(refused.searchParams)).toMatchObject({
      error: 'invalid_scope',
      iss: t.config.oidc.issuer,
    });
  });

  it("deactivating a client that joined by SSO revokes its tokens there and leaves the customer's session to the others", async () => {
    const helpCentre = { clientId: 'test-help-centre', redirectUri: 'http://localhost:5176/callback' };
    await registerClient(t, {
      clientId: helpCentre.clientId,
      name: 'Help centre',
      type: 'PUBLIC',
      redirectUris: [helpCentre.redirectUri],
      grantTypes: ['authorization_code'],
      scopes: ['openid', 'profile'],
    });
    const { cookie, sid } = await aliceSignsInToSpa();
    const joined = await request(helpCentre.clientId, helpCentre.redirectUri);
    const tokens = await joined.redeem((await visit(joined.url, cookie)).headers.get('location')!);
    const userinfo = () =>
      fetch(`${t.baseUrl}/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect((await userinfo()).status).toBe(200);

    const result = await cli(t, 'clients:deactivate', '--id', helpCentre.clientId);
    expect(JSON.parse(result.stdout)).toMatchObject({
      deactivated: helpCentre.clientId,
      sessionsRevoked: 0,
      sessionsLeft: 1,
    });
    const live = await t.dataSource.query(`SELECT 1 FROM tokens WHERE client_id = $1 AND status = 'ACTIVE'`, [
      helpCentre.clientId,
    ]);
    expect(live).toEqual([]);
    expect((await userinfo()).status).toBe(401);
    // Issue 16: the customer stays signed in to the SPA; only the deactivated client left the session.
    const [session] = await t.dataSource.query(`SELECT status, client_ids FROM sessions WHERE id = $1`, [sid]);
    expect(session).toEqual({ status: 'ACTIVE', client_ids: [SPA.clientId] });
  }, 120_000);

  it('advertises what it supports in discovery', async () => {
    const metadata = (await rp(SPA.clientId)).serverMetadata();
    expect(metadata).toMatchObject({
      acr_values_supported: ['urn:ciam:loa:1', 'urn:ciam:loa:2', 'urn:ciam:loa:3'],
      prompt_values_supported: ['none', 'login', 'consent'],
      claims_parameter_supported: true,
      authorization_response_iss_parameter_supported: true,
    });
  });
});
