import { startTestApp } from '../support/app';
import type { TestApp } from '../support/app';
import { postJson, startJourney, submitPassword } from '../support/journeys';
import { auditEvents, postForm, registerStandardClients, SPA } from '../support/oauth';
import { startUpstreamSignInOp } from '../support/upstream-op';
import type { UpstreamSignInOp } from '../support/upstream-op';
import { Slapd, startSlapd } from '../support/slapd';
import { useWorkforceIdp, WORKFORCE } from '../support/workforce';

interface View {
  journeyId: string;
  status: string;
  nextStep?: { type: string; phase?: string; authorizationUrl?: string; providers?: Array<{ id: string }> };
  transactionToken?: string;
  authorizationCode?: string;
  redirectTo?: string;
}

/**
 * Issue 21 items 1, 2 and 4: sign-in through a REAL upstream OpenID provider (oidc-provider 9 in a child process on
 * loopback). A first sign-in links only after the customer proves the CUPID with the password; later ones sign in
 * without it; a code obtained for another request or another client, or an ID token with another nonce, is refused
 * and ends the journey; an unlinked subject no longer signs in; an agent can link; everything audited.
 */
describe('federated sign-in through an upstream OpenID provider', () => {
  const { idp, env: agentEnv } = useWorkforceIdp();
  const admin = () => idp.token({ roles: [WORKFORCE.role, 'ciam-admin'], sub: 'admin-1' });
  const agent = () => idp.token({ roles: [WORKFORCE.role], sub: 'agent-7' });
  /** Linking lets a provider's sign-in stand for a customer: the same agent, with the admin role too. */
  const linkingAgent = () => idp.token({ roles: [WORKFORCE.role, 'ciam-admin'], sub: 'agent-7' });
  let t: TestApp;
  let op: UpstreamSignInOp;
  let callback: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { ...agentEnv } });
    await registerStandardClients(t);
    callback = `${t.baseUrl}/federation/callback`;
    op = await startUpstreamSignInOp(callback);
    const created = await adminCall('POST', '', {
      id: 'upstream',
      displayName: 'Upstream ID',
      kind: 'oidc',
      issuer: op.issuer,
      clientId: 'ciam',
      clientSecret: op.clientSecret('ciam'),
      scopes: ['openid', 'profile'],
      acr: 'loa1',
      claims: ['name'],
    });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await op?.close();
    await t?.close();
  });

  async function adminCall(method: string, path: string, body?: unknown, token?: string): Promise<Response> {
    return fetch(`${t.baseUrl}/agent/admin/federation/providers${path}`, {
      method,
      headers: { authorization: `Bearer ${token ?? (await admin())}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  /** A journey switched to the provider: the authorization URL and the FEDERATED token. */
  async function startAtProvider(providerId = 'upstream') {
    const journey = await startJourney(t);
    const response = await postJson(t, `/journeys/${journey.journeyId}/federated/start`, {
      transactionToken: journey.transactionToken,
      providerId,
    });
    expect(response.status).toBe(200);
    const view = (await response.json()) as View;
    expect(view.nextStep).toMatchObject({ type: 'FEDERATED', phase: 'REDIRECT', providerId });
    return { journey, view, url: view.nextStep!.authorizationUrl!, token: view.transactionToken! };
  }

  /** What the hosted page does after /federation/callback: the provider's answer, posted with the kept token. */
  async function postCallback(journeyId: string, token: string, query: string): Promise<Response> {
    // The provider redirects the browser to our callback, which hands its query to the login page's fragment.
    const bounce = await fetch(`${callback}?${query}`, { redirect: 'manual' });
    expect(bounce.status).toBe(303);
    const fragment = new URLSearchParams(new URL(bounce.headers.get('location')!).hash.slice(1));
    return postJson(t, `/journeys/${journeyId}/federated/callback`, {
      transactionToken: token,
      response: fragment.get('federation_response'),
    });
  }

  /** The federation link cookie the callback set (name=value), as the browser sends it back. */
  function linkCookie(response: Response): string {
    const set = response.headers.get('set-cookie') ?? '';
    expect(set).toMatch(
      /^ciam_fedlink_([0-9a-f-]{36})=[A-Za-z0-9_-]{43}; Path=\/journeys\/\1; Max-Age=\d+; HttpOnly; SameSite=Strict/,
    );
    return set.split(';')[0];
  }

  async function links(cupid: string) {
    return t.dataSource.query(
      `SELECT id, cupid, provider_id, subject, display_name, active, last_sign_in_at FROM federation_links
        WHERE cupid = $1 ORDER BY linked_at`,
      [cupid],
    ) as Promise<
      Array<{
        id: string;
        cupid: string;
        provider_id: string;
        subject: string;
        display_name: string | null;
        active: boolean;
      }>
    >;
  }

  async function customerToken(code: string, verifier: string): Promise<string> {
    const response = await postForm(t, '/oauth2/token', {
      grant_type: 'authorization_code',
      code,
      redirect_uri: SPA.redirectUri,
      code_verifier: verifier,
      client_id: SPA.clientId,
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  it('lists the active providers for the login page and keeps the client secret write-only', async () => {
    const listed = await fetch(`${t.baseUrl}/federation/providers`);
    expect(await listed.json()).toEqual({ providers: [{ id: 'upstream', displayName: 'Upstream ID' }] });
    const shown = await adminCall('GET', '/upstream');
    const body = (await shown.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ id: 'upstream', hasClientSecret: true, acr: 'urn:ciam:loa:1' });
    expect(JSON.stringify(body)).not.toContain(op.clientSecret('ciam'));
    const [row] = (await t.dataSource.query(
      `SELECT client_secret_sealed FROM federation_providers WHERE id = 'upstream'`,
    )) as Array<{
      client_secret_sealed: Buffer;
    }>;
    expect(row.client_secret_sealed.toString('latin1')).not.toContain(op.clientSecret('ciam'));
    const [created] = await auditEvents(t, { type: 'federation.provider_created' });
    expect(created.details).toMatchObject({ providerId: 'upstream', confidentialClient: true });
    expect(JSON.stringify(created.details)).not.toContain(op.clientSecret('ciam'));
    // Only admins configure providers.
    expect((await adminCall('GET', '', undefined, await agent())).status).toBe(403);
  });

  it('links on a first sign-in only after the password, then signs in through the provider alone', async () => {
    await op.signInAs('alice-at-upstream');
    const first = await startAtProvider();
    const query = await op.authorize(first.url, callback);
    const answered = await postCallback(first.journey.journeyId, first.token, query);
    expect(answered.status).toBe(200);
    const asked = (await answered.json()) as View;
    // Not linked: the customer proves a CUPID; nothing is linked yet.
    expect(asked.nextStep?.type).toBe('PASSWORD');
    expect(await links('CUPID-ALICE-0001')).toEqual([]);
    // The browser that came back from the provider is given the link's binding cookie and sends it on.
    const done = await submitPassword(t, first.journey.journeyId, asked.transactionToken!, 'alice', 'alice-password', {
      cookie: linkCookie(answered),
    });
    expect(done.status).toBe(200);
    expect(((await done.json()) as View).status).toBe('COMPLETED');
    const [link] = await links('CUPID-ALICE-0001');
    expect(link).toMatchObject({ provider_id: 'upstream', subject: 'alice-at-upstream', active: true });
    expect(link.display_name).toBe('Upstream alice-at-upstream');
    const linked = await auditEvents(t, { type: 'federation.linked', cupid: 'CUPID-ALICE-0001' });
    expect(linked).toHaveLength(1);
    expect(linked[0].details).toMatchObject({ providerId: 'upstream', linkId: link.id, by: 'journey' });
    // The provider's tokens were kept for the link, sealed (fedtokens), and the sync log says so.
    const log = (await t.dataSource.query(`SELECT action FROM federation_sync_log WHERE link_id = $1 ORDER BY id`, [
      link.id,
    ])) as Array<{ action: string }>;
    expect(log.map((entry) => entry.action)).toEqual(['linked', 'tokens_stored']);
    expect(
      await t.dataSource.query(`SELECT link_id FROM federation_tokens WHERE link_id = $1`, [link.id]),
    ).toHaveLength(1);

    // Later: the provider alone signs alice in.
    const later = await startAtProvider();
    const again = await postCallback(later.journey.journeyId, later.token, await op.authorize(later.url, callback));
    expect(again.status).toBe(200);
    const completed = (await again.json()) as View;
    expect(completed.status).toBe('COMPLETED');
    const accessToken = await customerToken(completed.authorizationCode!, later.journey.verifier);
    const signedIn = await auditEvents(t, { type: 'federation.signed_in', contextId: later.journey.journeyId });
    expect(signedIn).toHaveLength(1);
    expect(signedIn[0]).toMatchObject({ cupid: 'CUPID-ALICE-0001', outcome: 'SUCCESS' });
    expect(signedIn[0].details).toMatchObject({ providerId: 'upstream', linkId: link.id });
    const [journeyDone] = await auditEvents(t, { type: 'journey.completed', contextId: later.journey.journeyId });
    expect(journeyDone.details).toMatchObject({ amr: ['fed'], acr: 'urn:ciam:loa:1' });

    // The customer sees the link, never a token.
    const mine = await fetch(`${t.baseUrl}/me/federation-links`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(mine.status).toBe(200);
    const listed = (await mine.json()) as { links: Array<Record<string, unknown>> };
    expect(listed.links).toEqual([
      expect.objectContaining({
        id: link.id,
        providerId: 'upstream',
        providerName: 'Upstream ID',
        subject: 'alice-at-upstream',
      }),
    ]);
    expect(JSON.stringify(listed)).not.toMatch(/token/i);

    // Unlinked by the customer: the provider's sign-in no longer signs alice in (it asks the password again).
    const removed = await fetch(`${t.baseUrl}/me/federation-links/${link.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(removed.status).toBe(204);
    expect((await links('CUPID-ALICE-0001'))[0].active).toBe(false);
    // The link's upstream tokens go with it.
    expect(await t.dataSource.query(`SELECT link_id FROM federation_tokens WHERE link_id = $1`, [link.id])).toEqual([]);
    const [unlinked] = await auditEvents(t, { type: 'federation.unlinked', cupid: 'CUPID-ALICE-0001' });
    expect(unlinked.details).toMatchObject({ linkId: link.id, by: 'customer' });
    const after = await startAtProvider();
    const refused = await postCallback(after.journey.journeyId, after.token, await op.authorize(after.url, callback));
    expect(refused.status).toBe(200);
    const view = (await refused.json()) as View;
    expect(view.status).toBe('PENDING');
    expect(view.nextStep?.type).toBe('PASSWORD');
    expect(await auditEvents(t, { type: 'federation.signed_in', contextId: after.journey.journeyId })).toEqual([]);
  });

  it('refuses a code obtained for another sign-in (state), replayed answers, and a provider error', async () => {
    await op.signInAs('mallory-at-upstream');
    const victim = await startAtProvider();
    const attacker = await startAtProvider();
    const attackerAnswer = await op.authorize(attacker.url, callback);
    // The attacker's answer posted into the victim's journey: the state is not the victim's request's.
    const injected = await postCallback(victim.journey.journeyId, victim.token, attackerAnswer);
    expect(injected.status).toBe(403);
    expect(await injected.json()).toMatchObject({ type: 'urn:ciam:problem:journey-failed' });
    const [rejected] = await auditEvents(t, { type: 'federation.rejected', contextId: victim.journey.journeyId });
    expect(rejected).toMatchObject({ outcome: 'FAILURE' });
    expect(rejected.details).toMatchObject({
      providerId: 'upstream',
      reason: 'invalid_response',
      error: 'OAUTH_INVALID_RESPONSE',
    });
    expect(JSON.stringify(rejected.details)).not.toContain(new URLSearchParams(attackerAnswer).get('code')!);
    // The same request again gets the same answer (the engine's retry window); anything else on the spent token
    // is refused as a spent token. Nothing signed in either way.
    const replayed = await postCallback(victim.journey.journeyId, victim.token, attackerAnswer);
    expect(replayed.status).toBe(403);
    const altered = await postCallback(victim.journey.journeyId, victim.token, `${attackerAnswer}&x=1`);
    expect(altered.status).toBe(400);
    expect(await altered.json()).toMatchObject({ type: 'urn:ciam:problem:transaction-invalid' });
    expect(await auditEvents(t, { type: 'federation.signed_in', contextId: victim.journey.journeyId })).toEqual([]);

    // The provider's own error (the customer cancelled) ends the step, audited.
    const cancelled = await startAtProvider();
    const state = new URL(cancelled.url).searchParams.get('state')!;
    const denied = await postCallback(
      cancelled.journey.journeyId,
      cancelled.token,
      new URLSearchParams({ error: 'access_denied', state, iss: op.issuer }).toString(),
    );
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ type: 'urn:ciam:problem:journey-failed' });
    const [deniedEvent] = await auditEvents(t, { type: 'federation.rejected', contextId: cancelled.journey.journeyId });
    expect(deniedEvent.details).toMatchObject({ reason: 'provider_error', error: 'access_denied' });
  });

  it('refuses an ID token with another nonce, and a code issued to another client', async () => {
    await op.signInAs('alice-at-upstream');
    // The authorization request altered on its way to the provider: the ID token carries the attacker's nonce.
    const withNonce = await startAtProvider();
    const url = new URL(withNonce.url);
    url.searchParams.set('nonce', 'attacker-chosen-nonce');
    const nonceAnswer = await postCallback(
      withNonce.journey.journeyId,
      withNonce.token,
      await op.authorize(url.toString(), callback),
    );
    expect(nonceAnswer.status).toBe(403);
    const [nonceEvent] = await auditEvents(t, { type: 'federation.rejected', contextId: withNonce.journey.journeyId });
    expect(nonceEvent.details).toMatchObject({
      reason: 'invalid_response',
      error: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
    });

    // A code the provider issued to another relying party (another audience) for our request.
    const otherClient = await startAtProvider();
    const forOther = new URL(otherClient.url);
    forOther.searchParams.set('client_id', 'other');
    const otherAnswer = await postCallback(
      otherClient.journey.journeyId,
      otherClient.token,
      await op.authorize(forOther.toString(), callback),
    );
    expect(otherAnswer.status).toBe(403);
    const [otherEvent] = await auditEvents(t, {
      type: 'federation.rejected',
      contextId: otherClient.journey.journeyId,
    });
    expect(otherEvent.details).toMatchObject({ reason: 'invalid_response', error: 'invalid_grant' });
    expect(await auditEvents(t, { type: 'federation.signed_in', contextId: otherClient.journey.journeyId })).toEqual(
      [],
    );
  });

  it('lets an agent link a subject, and the provider then signs that customer in', async () => {
    const reason = 'Customer verified in branch, ID checked';
    // A support agent without the admin role cannot: nothing stored, nothing audited as linked.
    const bySupport = await fetch(`${t.baseUrl}/agent/customers/CUPID-BOB-0002/federation-links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await agent()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ providerId: 'upstream', subject: 'bob-at-upstream', reason }),
    });
    expect(bySupport.status).toBe(403);
    expect(bySupport.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(await bySupport.json())).toContain('ciam-admin');
    expect(await t.dataSource.query(`SELECT id FROM federation_links WHERE subject = 'bob-at-upstream'`)).toEqual([]);
    expect(await auditEvents(t, { type: 'federation.linked', cupid: 'CUPID-BOB-0002' })).toEqual([]);
    const linked = await fetch(`${t.baseUrl}/agent/customers/CUPID-BOB-0002/federation-links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await linkingAgent()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ providerId: 'upstream', subject: 'bob-at-upstream', reason }),
    });
    expect(linked.status).toBe(201);
    const link = (await linked.json()) as { id: string };
    const [event] = await auditEvents(t, { type: 'federation.linked', cupid: 'CUPID-BOB-0002' });
    expect(event).toMatchObject({ actor_type: 'AGENT', actor_id: 'agent-7' });
    expect(event.details).toMatchObject({ by: 'agent', linkId: link.id, reason });
    // The same subject cannot be linked twice.
    const again = await fetch(`${t.baseUrl}/agent/customers/CUPID-ALICE-0001/federation-links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await linkingAgent()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ providerId: 'upstream', subject: 'bob-at-upstream', reason }),
    });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ type: 'urn:ciam:problem:federation-conflict' });

    // bob signs in at the provider: the link names him (bob always needs a second factor: policy asks for it).
    await op.signInAs('bob-at-upstream');
    const journey = await startAtProvider();
    const answered = await postCallback(
      journey.journey.journeyId,
      journey.token,
      await op.authorize(journey.url, callback),
    );
    expect(answered.status).toBe(200);
    const view = (await answered.json()) as View;
    expect(view.status).toBe('PENDING');
    expect(view.nextStep?.type).not.toBe('PASSWORD');
    const [signedIn] = await auditEvents(t, { type: 'federation.signed_in', contextId: journey.journey.journeyId });
    expect(signedIn.cupid).toBe('CUPID-BOB-0002');

    // The agent sees and removes it.
    const listed = await fetch(
      `${t.baseUrl}/agent/customers/CUPID-BOB-0002/federation-links?reason=${encodeURIComponent(reason)}`,
      { headers: { authorization: `Bearer ${await agent()}` } },
    );
    expect(((await listed.json()) as { links: Array<{ id: string }> }).links.map((entry) => entry.id)).toEqual([
      link.id,
    ]);
    const removed = await fetch(
      `${t.baseUrl}/agent/customers/CUPID-BOB-0002/federation-links/${link.id}?reason=${encodeURIComponent(reason)}`,
      { method: 'DELETE', headers: { authorization: `Bearer ${await agent()}` } },
    );
    expect(removed.status).toBe(204);
    const [unlinked] = await auditEvents(t, { type: 'federation.unlinked', cupid: 'CUPID-BOB-0002' });
    expect(unlinked.details).toMatchObject({ by: 'agent', reason });
  });

  // Wave 6: a link lets the provider's sign-in stand for the CUPID, so only a customer the directory knows gets one.
  it('refuses to link a CUPID the directory does not know: 404, nothing stored or audited', async () => {
    const refused = await fetch(`${t.baseUrl}/agent/customers/CUPID-NOBODY-9999/federation-links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await linkingAgent()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ providerId: 'upstream', subject: 'nobody-at-upstream', reason: 'Verified in branch' }),
    });
    expect(refused.status).toBe(404);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(await refused.json()).toMatchObject({ type: 'urn:ciam:problem:not-found', status: 404 });
    expect(await links('CUPID-NOBODY-9999')).toEqual([]);
    expect(await t.dataSource.query(`SELECT id FROM federation_links WHERE subject = 'nobody-at-upstream'`)).toEqual(
      [],
    );
    expect(await auditEvents(t, { cupid: 'CUPID-NOBODY-9999' })).toEqual([]);
  });

  it('lets a provider that satisfies MFA stand in for the second factor (a second config, another client_id)', async () => {
    const created = await adminCall('POST', '', {
      id: 'strong',
      displayName: 'Strong ID',
      kind: 'oidc',
      issuer: op.issuer,
      clientId: 'other',
      clientSecret: op.clientSecret('other'),
      acr: 'loa2',
      satisfiesMfa: true,
    });
    expect(created.status).toBe(201);
    const linked = await fetch(`${t.baseUrl}/agent/customers/CUPID-BOB-0002/federation-links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await linkingAgent()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ providerId: 'strong', subject: 'bob-strong', reason: 'Verified in branch, ID checked' }),
    });
    expect(linked.status).toBe(201);
    await op.signInAs('bob-strong');
    // bob always needs a second factor; this provider's sign-in is one.
    const journey = await startAtProvider('strong');
    const answered = await postCallback(
      journey.journey.journeyId,
      journey.token,
      await op.authorize(journey.url, callback),
    );
    expect(answered.status).toBe(200);
    expect(((await answered.json()) as View).status).toBe('COMPLETED');
    const [done] = await auditEvents(t, { type: 'journey.completed', contextId: journey.journey.journeyId });
    expect(done).toMatchObject({ cupid: 'CUPID-BOB-0002' });
    expect(done.details).toMatchObject({ amr: ['fed', 'mfa'], acr: 'urn:ciam:loa:2' });
    // The ID token the provider issued to 'other' is not accepted for the 'upstream' configuration (client 'ciam').
    const crossed = await startAtProvider('upstream');
    const forOther = new URL(crossed.url);
    forOther.searchParams.set('client_id', 'other');
    const refused = await postCallback(
      crossed.journey.journeyId,
      crossed.token,
      await op.authorize(forOther.toString(), callback),
    );
    expect(refused.status).toBe(403);
  });

  it('answers 503 when the provider cannot be reached, and the same token goes on', async () => {
    const created = await adminCall('POST', '', {
      id: 'down',
      displayName: 'Down ID',
      kind: 'oidc',
      issuer: 'http://127.0.0.1:1',
      clientId: 'ciam',
      acr: 'loa1',
    });
    expect(created.status).toBe(201);
    const journey = await startJourney(t);
    const response = await postJson(t, `/journeys/${journey.journeyId}/federated/start`, {
      transactionToken: journey.transactionToken,
      providerId: 'down',
    });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ type: 'urn:ciam:problem:dependency-unavailable' });
    const [event] = await auditEvents(t, { type: 'federation.rejected', contextId: journey.journeyId });
    expect(event.details).toMatchObject({ providerId: 'down', reason: 'provider_unavailable' });
    // Nothing was spent: the customer signs in with the password instead.
    const password = await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password');
    expect(password.status).toBe(200);
    expect(((await password.json()) as View).status).toBe('COMPLETED');
    expect((await adminCall('POST', '/down/deactivate', {})).status).toBe(204);
  });

  it('starts at the provider from /oauth2/authorize with idp_hint', async () => {
    const authorize = new URL(`${t.baseUrl}/oauth2/authorize`);
    for (const [name, value] of Object.entries({
      response_type: 'code',
      client_id: SPA.clientId,
      redirect_uri: SPA.redirectUri,
      scope: 'openid',
      state: 's-1',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      idp_hint: 'upstream',
    }))
      authorize.searchParams.set(name, value);
    const response = await fetch(authorize, { redirect: 'manual' });
    expect(response.status).toBe(302);
    const fragment = new URLSearchParams(new URL(response.headers.get('location')!).hash.slice(1));
    expect(fragment.get('step')).toBe('FEDERATED');
    expect(fragment.get('idp_hint')).toBe('upstream');
    const started = await postJson(t, `/journeys/${fragment.get('journey')}/federated/start`, {
      transactionToken: fragment.get('transaction_token'),
      providerId: 'upstream',
    });
    expect(started.status).toBe(200);
    expect(((await started.json()) as View).nextStep?.authorizationUrl).toContain(op.issuer);
  });
  // Review (issue 21): satisfies_mfa must not lift a one-factor (loa1) provider sign-in to loa2, past a client's
  // min_acr or a customer's own second factor.
  it('never lets a loa1 provider stand in for the second factor', async () => {
    const refused = await adminCall('POST', '', {
      id: 'weak',
      displayName: 'Weak ID',
      kind: 'oidc',
      issuer: op.issuer,
      clientId: 'other',
      clientSecret: op.clientSecret('other'),
      acr: 'loa1',
      satisfiesMfa: true,
    });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toContain('satisfiesMfa needs acr loa2 or loa3');
    const created = await adminCall('POST', '', {
      id: 'weak',
      displayName: 'Weak ID',
      kind: 'oidc',
      issuer: op.issuer,
      clientId: 'other',
      clientSecret: op.clientSecret('other'),
      acr: 'loa1',
    });
    expect(created.status).toBe(201);
    // A row written before the check (or by hand): the sign-in still is one factor.
    await t.dataSource.query(`UPDATE federation_providers SET satisfies_mfa = true WHERE id = 'weak'`);
    const linked = await fetch(`${t.baseUrl}/agent/customers/CUPID-BOB-0002/federation-links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await linkingAgent()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ providerId: 'weak', subject: 'bob-weak', reason: 'Verified in branch, ID checked' }),
    });
    expect(linked.status).toBe(201);
    await op.signInAs('bob-weak');
    const journey = await startAtProvider('weak');
    const answered = await postCallback(
      journey.journey.journeyId,
      journey.token,
      await op.authorize(journey.url, callback),
    );
    expect(answered.status).toBe(200);
    const view = (await answered.json()) as View;
    // bob always needs a second factor: it is asked, the journey is not completed at loa2 on the provider alone.
    expect(view.status).toBe('PENDING');
    expect(view.nextStep?.type).not.toBe('PASSWORD');
    expect(await auditEvents(t, { type: 'journey.completed', contextId: journey.journey.journeyId })).toEqual([]);
    const [signedIn] = await auditEvents(t, { type: 'federation.signed_in', contextId: journey.journey.journeyId });
    expect(signedIn.details).toMatchObject({ providerId: 'weak', satisfiesMfa: false });
  });
  // Review (issue 21): login CSRF. The attacker signs in at the provider with their own account, then hands the
  // journey (id and token, as a login page URL's fragment) to a victim, whose password must not link the
  // attacker's upstream account to the victim's CUPID.
  it('never links the provider account of one browser to the CUPID proved in another', async () => {
    await op.signInAs('mallory-at-upstream');
    const attacker = await startAtProvider();
    const answered = await postCallback(
      attacker.journey.journeyId,
      attacker.token,
      await op.authorize(attacker.url, callback),
    );
    expect(answered.status).toBe(200);
    const view = (await answered.json()) as View;
    expect(view.nextStep?.type).toBe('PASSWORD');
    linkCookie(answered); // the attacker's browser holds it; the victim's does not
    // The victim's browser, on /login#journey=...&transaction_token=...: a normal sign-in, no link.
    const victim = await submitPassword(
      t,
      attacker.journey.journeyId,
      view.transactionToken!,
      'alice',
      'alice-password',
    );
    expect(victim.status).toBe(200);
    expect(((await victim.json()) as View).status).toBe('COMPLETED');
    expect(await t.dataSource.query(`SELECT id FROM federation_links WHERE subject = 'mallory-at-upstream'`)).toEqual(
      [],
    );
    const [refused] = await auditEvents(t, { type: 'federation.rejected', contextId: attacker.journey.journeyId });
    expect(refused).toMatchObject({ cupid: 'CUPID-ALICE-0001', outcome: 'FAILURE' });
    expect(refused.details).toMatchObject({ providerId: 'upstream', reason: 'link_other_browser' });
    expect(await auditEvents(t, { type: 'federation.linked', contextId: attacker.journey.journeyId })).toEqual([]);
  });
  // Review (issue 21): a subject longer than a link's 255 characters was cut, so another account whose subject
  // starts with a linked one signed that customer in.
  it('refuses a subject longer than 255 characters rather than cutting it onto another link', async () => {
    const linked = 'b'.repeat(255);
    const created = await fetch(`${t.baseUrl}/agent/customers/CUPID-BOB-0002/federation-links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await linkingAgent()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ providerId: 'upstream', subject: linked, reason: 'Verified in branch, ID checked' }),
    });
    expect(created.status).toBe(201);
    await op.signInAs(`${linked}-mallory`);
    const journey = await startAtProvider();
    const answered = await postCallback(
      journey.journey.journeyId,
      journey.token,
      await op.authorize(journey.url, callback),
    );
    expect(answered.status).toBe(403);
    expect(await answered.json()).toMatchObject({ type: 'urn:ciam:problem:journey-failed' });
    expect(await auditEvents(t, { type: 'federation.signed_in', contextId: journey.journey.journeyId })).toEqual([]);
    const [refused] = await auditEvents(t, { type: 'federation.rejected', contextId: journey.journey.journeyId });
    expect(refused.details).toMatchObject({ reason: 'invalid_response', error: 'subject_too_long' });
  });
  // Review (issue 21): a provider deactivated while the customer proves the CUPID links nothing (nor keeps tokens).
  it('links nothing for a provider deactivated in the middle of a linking journey', async () => {
    const created = await adminCall('POST', '', {
      id: 'paused',
      displayName: 'Paused ID',
      kind: 'oidc',
      issuer: op.issuer,
      clientId: 'other',
      clientSecret: op.clientSecret('other'),
      acr: 'loa1',
    });
    expect(created.status).toBe(201);
    await op.signInAs('alice-at-paused');
    const journey = await startAtProvider('paused');
    const answered = await postCallback(
      journey.journey.journeyId,
      journey.token,
      await op.authorize(journey.url, callback),
    );
    expect(answered.status).toBe(200);
    const view = (await answered.json()) as View;
    expect(view.nextStep?.type).toBe('PASSWORD');
    expect((await adminCall('POST', '/paused/deactivate', {})).status).toBe(204);
    const done = await submitPassword(t, journey.journey.journeyId, view.transactionToken!, 'alice', 'alice-password', {
      cookie: linkCookie(answered),
    });
    expect(done.status).toBe(200);
    expect(((await done.json()) as View).status).toBe('COMPLETED');
    expect(await t.dataSource.query(`SELECT id FROM federation_links WHERE provider_id = 'paused'`)).toEqual([]);
    const [refused] = await auditEvents(t, { type: 'federation.rejected', contextId: journey.journey.journeyId });
    expect(refused.details).toMatchObject({ providerId: 'paused', reason: 'provider_inactive' });
  });
});

/**
 * The agent's link asks the directory first (a real slapd here): a customer LDAP knows is linked, one it does not
 * know is 404, and with slapd stopped the link fails closed, 503 in the problem format, with nothing stored.
 */
describe('an agent links only a customer the directory knows (LDAP)', () => {
  const { idp, env: agentEnv } = useWorkforceIdp();
  const linkingAgent = () => idp.token({ roles: [WORKFORCE.role, 'ciam-admin'], sub: 'agent-7' });
  let slapd: Slapd;
  let t: TestApp;

  beforeAll(async () => {
    slapd = await startSlapd();
    t = await startTestApp({ env: { ...slapd.env, ...agentEnv } });
    // Registering a provider fetches nothing: its issuer is read only when a sign-in starts there.
    const created = await fetch(`${t.baseUrl}/agent/admin/federation/providers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await linkingAgent()}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'upstream',
        displayName: 'Upstream ID',
        kind: 'oidc',
        issuer: 'http://127.0.0.1:9/',
        clientId: 'ciam',
        acr: 'loa1',
      }),
    });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
    await slapd?.stop();
  });

  const link = async (cupid: string, subject: string) =>
    fetch(`${t.baseUrl}/agent/customers/${cupid}/federation-links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await linkingAgent()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ providerId: 'upstream', subject, reason: 'Verified in branch, ID checked' }),
    });
  const stored = async () =>
    t.dataSource.query(`SELECT cupid, subject FROM federation_links ORDER BY linked_at`) as Promise<
      Array<{ cupid: string; subject: string }>
    >;

  it('asks LDAP: a known customer is linked, an unknown one is 404; slapd stopped, 503 and nothing stored', async () => {
    const known = await link('CUPID-BOB-0002', 'bob-at-upstream');
    expect(known.status).toBe(201);
    expect(await stored()).toEqual([{ cupid: 'CUPID-BOB-0002', subject: 'bob-at-upstream' }]);
    expect(await auditEvents(t, { type: 'federation.linked' })).toHaveLength(1);
    const unknown = await link('CUPID-NOBODY-9999', 'nobody-at-upstream');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ type: 'urn:ciam:problem:not-found' });

    await slapd.stop();
    const down = await link('CUPID-ALICE-0001', 'alice-at-upstream');
    expect(down.status).toBe(503);
    expect(down.headers.get('content-type')).toContain('application/problem+json');
    expect(down.headers.get('retry-after')).toBe('5');
    const problem = await down.json();
    expect(problem).toMatchObject({ type: 'urn:ciam:problem:dependency-unavailable', status: 503 });
    expect(JSON.stringify(problem)).not.toMatch(/127\.0\.0\.1|ldap:\/\//);
    expect(await stored()).toEqual([{ cupid: 'CUPID-BOB-0002', subject: 'bob-at-upstream' }]);
    expect(await auditEvents(t, { type: 'federation.linked' })).toHaveLength(1);
  });
});
