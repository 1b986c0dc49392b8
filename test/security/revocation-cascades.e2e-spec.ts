import { Attribute, Change, Client } from 'ldapts';
import type { TestApp } from '../support/app';
import { startTestApp, useTestApp } from '../support/app';
import { newDevice } from '../support/factories';
import { cli } from '../support/cli';
import {
  auditEvents,
  completeLogin,
  exchangeCode,
  introspect,
  postForm,
  refresh,
  registerClient,
  registerStandardClients,
} from '../support/oauth';
import { LDAP_ADMIN_DN, LDAP_ADMIN_PASSWORD, LDAP_CUSTOMERS, LDAP_PEOPLE, Slapd, startSlapd } from '../support/slapd';
import { useWorkforceIdp } from '../support/workforce';

/**
 * Revocation cascades (issue 12, item 3; ASVS 5 V7.4 "session termination"): what ends a device, a
 * customer's right to sign in or a client ends the sessions and tokens that hang on it, audited.
 */

type Tokens = { access_token: string; refresh_token: string };

async function signedIn(t: TestApp, options: { cupid?: string; trustedDeviceId?: string } = {}) {
  const login = await completeLogin(t, options);
  const response = await exchangeCode(t, login);
  expect(response.status).toBe(200);
  return { login, tokens: (await response.json()) as Tokens };
}

async function expectDead(t: TestApp, tokens: Tokens): Promise<void> {
  expect(await introspect(t, tokens.access_token)).toEqual({ active: false });
  expect((await refresh(t, tokens.refresh_token)).status).toBe(400);
  expect(
    (await fetch(`${t.baseUrl}/me/sessions`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status,
  ).toBe(401);
}

describe('revoking a trusted device ends the sessions it opened or was bound in', () => {
  const { idp, env } = useWorkforceIdp();
  const t = useTestApp({ env }, registerStandardClients);

  async function boundDevice(cupid: string): Promise<string> {
    return newDevice(t.dataSource, { cupid, name: 'Pixel 9' });
  }

  it("by the customer (/me): the device's sessions end with their tokens; the other sessions stay", async () => {
    const deviceId = await boundDevice('CUPID-ALICE-0001');
    const onPhone = await signedIn(t, { trustedDeviceId: deviceId });
    const alsoOnPhone = await signedIn(t, { trustedDeviceId: deviceId });
    const laptop = await signedIn(t);

    const response = await fetch(`${t.baseUrl}/me/devices/${deviceId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${laptop.tokens.access_token}` },
    });
    expect(response.status).toBe(204);

    await expectDead(t, onPhone.tokens);
    await expectDead(t, alsoOnPhone.tokens);
    expect(await introspect(t, laptop.tokens.access_token)).toMatchObject({ active: true });
    const [ended] = await auditEvents(t, { sessionId: onPhone.login.sessionId, type: 'session.revoked' });
    expect(ended).toMatchObject({
      actor_type: 'CUSTOMER',
      details: { reason: 'device revoked: removed by the customer', deviceId },
    });
    expect(await auditEvents(t, { type: 'device.revoked' })).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ deviceId }) }),
    ]);
  });

  it('by an agent: the same cascade, recorded with the agent and the reason', async () => {
    const deviceId = await boundDevice('CUPID-ALICE-0001');
    const onPhone = await signedIn(t, { trustedDeviceId: deviceId });
    const response = await fetch(`${t.baseUrl}/agent/customers/CUPID-ALICE-0001/devices/${deviceId}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await idp.token()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'Lost phone (INC-7)' }),
    });
    expect(response.status).toBe(204);
    await expectDead(t, onPhone.tokens);
    const [session] = await t.dataSource.query('SELECT status, revoked_by, revoke_reason FROM sessions WHERE id = $1', [
      onPhone.login.sessionId,
    ]);
    expect(session).toEqual({
      status: 'REVOKED',
      revoked_by: 'AGENT:agent-007',
      revoke_reason: 'device revoked: Lost phone (INC-7)',
    });
  });

  it("another customer's device id changes nothing", async () => {
    const deviceId = await boundDevice('CUPID-BOB-0002');
    const bobs = await signedIn(t, { cupid: 'CUPID-BOB-0002', trustedDeviceId: deviceId });
    const alice = await signedIn(t);
    const response = await fetch(`${t.baseUrl}/me/devices/${deviceId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${alice.tokens.access_token}` },
    });
    expect(response.status).toBe(404);
    expect(await introspect(t, bobs.tokens.access_token)).toMatchObject({ active: true });
  });
});

describe('a customer locked, disabled or removed in the directory loses access at the next refresh (real slapd)', () => {
  const customers = [
    ...LDAP_CUSTOMERS,
    { uid: 'erin', password: 'erin-password', cupid: 'CUPID-ERIN-0005' },
    { uid: 'frank', password: 'frank-password', cupid: 'CUPID-FRANK-0006' },
    { uid: 'gina', password: 'gina-password', cupid: 'CUPID-GINA-0007' },
    { uid: 'hugo', password: 'hugo-password', cupid: 'CUPID-HUGO-0008' },
  ];
  let slapd: Slapd;
  const slapdEnv: Record<string, string> = {};
  beforeAll(async () => {
    slapd = await startSlapd(customers);
    Object.assign(slapdEnv, slapd.env);
  });
  afterAll(() => slapd?.stop());
  const t = useTestApp({ env: slapdEnv }, registerStandardClients);

  async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ url: slapd.url });
    await client.bind(LDAP_ADMIN_DN, LDAP_ADMIN_PASSWORD);
    try {
      return await work(client);
    } finally {
      await client.unbind();
    }
  }
  const setStatus = (uid: string, status: string) =>
    admin((client) =>
      client.modify(
        `uid=${uid},${LDAP_PEOPLE}`,
        new Change({ operation: 'replace', modification: new Attribute({ type: 'employeeType', values: [status] }) }),
      ),
    );

  it.each([
    ['LOCKED', 'erin', 'CUPID-ERIN-0005', 'customer locked in the directory'],
    ['DISABLED', 'frank', 'CUPID-FRANK-0006', 'customer disabled in the directory'],
  ])('%s (%s): every session of the customer ends at the next refresh', async (status, uid, cupid, reason) => {
    const first = await signedIn(t, { cupid });
    const second = await signedIn(t, { cupid });
    const rotated = await refresh(t, first.tokens.refresh_token);
    expect(rotated.status).toBe(200);
    const current = (await rotated.json()) as Tokens;

    await setStatus(uid, status);
    const refused = await refresh(t, current.refresh_token);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: 'invalid_grant', error_description: 'the session has ended' });

    // Every session of the customer ended, not only the one that refreshed.
    const sessions = await t.dataSource.query(
      'SELECT status, revoked_by, revoke_reason FROM sessions WHERE cupid = $1 ORDER BY created_at',
      [cupid],
    );
    expect(sessions).toEqual([
      { status: 'REVOKED', revoked_by: 'SYSTEM:directory-check', revoke_reason: reason },
      { status: 'REVOKED', revoked_by: 'SYSTEM:directory-check', revoke_reason: reason },
    ]);
    await expectDead(t, current);
    await expectDead(t, second.tokens);
    const events = await auditEvents(t, { cupid, type: 'session.revoked' });
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      actor_type: 'SYSTEM',
      actor_id: 'directory-check',
      details: { reason, allSessions: true },
    });
  });

  it('removed from the directory', async () => {
    const { login, tokens } = await signedIn(t, { cupid: 'CUPID-GINA-0007' });
    await admin((client) => client.del(`uid=gina,${LDAP_PEOPLE}`));
    expect((await refresh(t, tokens.refresh_token)).status).toBe(400);
    const [session] = await t.dataSource.query('SELECT status, revoke_reason FROM sessions WHERE id = $1', [
      login.sessionId,
    ]);
    expect(session).toEqual({ status: 'REVOKED', revoke_reason: 'customer no longer in the directory' });
  });

  it('with REFRESH_DIRECTORY_CHECK_SECONDS, the directory is asked once per interval', async () => {
    const app = await startTestApp({ env: { ...slapdEnv, REFRESH_DIRECTORY_CHECK_SECONDS: '300' } });
    try {
      await registerStandardClients(app);
      const { tokens } = await signedIn(app, { cupid: 'CUPID-HUGO-0008' });
      await setStatus('hugo', 'LOCKED');
      // Signed in a moment ago (the journey asked the directory then): within the interval, no question.
      const within = await refresh(app, tokens.refresh_token);
      expect(within.status).toBe(200);
      app.clock.advance(301);
      const after = await refresh(app, ((await within.json()) as Tokens).refresh_token);
      expect(after.status).toBe(400);
      const [session] = await app.dataSource.query(
        `SELECT status, revoke_reason FROM sessions WHERE cupid = 'CUPID-HUGO-0008'`,
      );
      expect(session).toEqual({ status: 'REVOKED', revoke_reason: 'customer locked in the directory' });
    } finally {
      await app.close();
    }
  });

  // Last: it stops the directory.
  it('directory down: a session the directory vouched for within the outage grace refreshes; an older one fails closed with 503 and keeps its token', async () => {
    const recent = await signedIn(t, { cupid: 'CUPID-ALICE-0001' });
    const older = await signedIn(t, { cupid: 'CUPID-ALICE-0001' });
    // The older session's last directory answer is past the 15-minute grace; it is still live.
    await t.dataSource.query(`UPDATE sessions SET directory_checked_at = now() - interval '16 minutes' WHERE id = $1`, [
      older.login.sessionId,
    ]);
    await slapd.stop();

    const through = await refresh(t, recent.tokens.refresh_token);
    expect(through.status).toBe(200);
    expect(await introspect(t, ((await through.json()) as Tokens).access_token)).toMatchObject({ active: true });

    const down = await refresh(t, older.tokens.refresh_token);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toEqual(expect.any(String));
    expect(await down.json()).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
    const [row] = await t.dataSource.query(`SELECT status FROM tokens WHERE value_hash = sha256($1::bytea)`, [
      Buffer.from(older.tokens.refresh_token),
    ]);
    expect(row.status).toBe('ACTIVE');
    // Access tokens keep working: only the refresh asks the directory.
    expect(await introspect(t, older.tokens.access_token)).toMatchObject({ active: true });
  });
});

describe('deactivating a client ends its sessions and tokens (clients:deactivate)', () => {
  const DOOMED = {
    id: 'doomed-app',
    secret: 'doomed-app-secret-0123456789',
    redirectUri: 'https://doomed.example/callback',
  };
  const t = useTestApp({}, async (app) => {
    await registerStandardClients(app);
    await registerClient(app, {
      clientId: DOOMED.id,
      name: 'Doomed app',
      type: 'CONFIDENTIAL',
      secret: DOOMED.secret,
      redirectUris: [DOOMED.redirectUri],
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
      scopes: ['openid'],
    });
  });

  async function doomedSession(): Promise<Tokens> {
    const login = await completeLogin(t, { clientId: DOOMED.id, redirectUri: DOOMED.redirectUri, scope: 'openid' });
    const response = await postForm(
      t,
      '/oauth2/token',
      {
        grant_type: 'authorization_code',
        code: login.code,
        redirect_uri: DOOMED.redirectUri,
        code_verifier: login.verifier,
      },
      { id: DOOMED.id, secret: DOOMED.secret },
    );
    expect(response.status).toBe(200);
    return response.json() as Promise<Tokens>;
  }

  it("revokes every session and the client's own tokens, audited; other clients are untouched", async () => {
    const sessions = [await doomedSession(), await doomedSession()];
    const own = await (
      await postForm(t, '/oauth2/token', { grant_type: 'client_credentials' }, { id: DOOMED.id, secret: DOOMED.secret })
    ).json();
    const bystander = await signedIn(t);

    const result = await cli(t, 'clients:deactivate', '--id', DOOMED.id);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      deactivated: DOOMED.id,
      changed: true,
      codesDeleted: 0,
      sessionsRevoked: 2,
      sessionsLeft: 0,
      tokensRevoked: 1,
      steps: { consents: 0 },
    });

    for (const tokens of sessions) expect(await introspect(t, tokens.access_token)).toEqual({ active: false });
    expect(await introspect(t, own.access_token)).toEqual({ active: false });
    const refused = await postForm(
      t,
      '/oauth2/token',
      { grant_type: 'refresh_token', refresh_token: sessions[0].refresh_token },
      { id: DOOMED.id, secret: DOOMED.secret },
    );
    expect(refused.status).toBe(401);
    expect(await introspect(t, bystander.tokens.access_token)).toMatchObject({ active: true });

    const events = await t.dataSource.query(
      `SELECT event_type, actor_id, details->>'reason' AS reason FROM audit_logs WHERE client_id = $1 AND event_type IN ('client.deactivated', 'session.revoked', 'token.revoked') ORDER BY created_at, event_type`,
      [DOOMED.id],
    );
    expect(events).toEqual([
      { event_type: 'client.deactivated', actor_id: 'cli', reason: null },
      { event_type: 'session.revoked', actor_id: 'cli', reason: 'client deactivated' },
      { event_type: 'session.revoked', actor_id: 'cli', reason: 'client deactivated' },
      { event_type: 'token.revoked', actor_id: 'cli', reason: 'client deactivated' },
    ]);
    // The CLI is a process of its own (a Nest start): generous under a loaded CI machine.
  }, 120_000);
});
