import { CustomerNotifier } from '../../src/common/customer-notifier';
import type { TestApp } from '../support/app';
import { useTestApp } from '../support/app';
import { contractFetch } from '../support/contract';
import { newDevice } from '../support/factories';
import { startJourney, submitPassword } from '../support/journeys';
import { auditEvents, completeLogin, exchangeCode, registerStandardClients } from '../support/oauth';
import { useWorkforceIdp } from '../support/workforce';

const ALICE = 'CUPID-ALICE-0001';

/** What the customer was told (the notifier's delegate is the email helper's; here, a recorder). */
function recordNotices(t: TestApp): Array<{ cupid: string; notice: string }> {
  const notices: Array<{ cupid: string; notice: string }> = [];
  t.app.get(CustomerNotifier).setDelegate({
    notify: (cupid, notice) => {
      notices.push({ cupid, notice });
      return Promise.resolve();
    },
  });
  return notices;
}

/** alice's access token, for a session at `acr` that authenticated just now (by the app's clock). */
async function aliceToken(t: TestApp, acr = 'urn:ciam:loa:1'): Promise<{ token: string; sessionId: string }> {
  const login = await completeLogin(t);
  const tokens = (await (await exchangeCode(t, login)).json()) as { access_token: string };
  // What a completed step-up leaves on the session (sessions.repository stepUp): the level and a fresh auth_time.
  await t.dataSource.query(`UPDATE sessions SET acr = $2, auth_time = $3 WHERE id = $1`, [
    login.sessionId,
    acr,
    t.clock.now(),
  ]);
  return { token: tokens.access_token, sessionId: login.sessionId };
}

function asCustomer(t: TestApp, token: string, path: string, init: RequestInit = {}) {
  return contractFetch(`${t.baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}` } });
}

describe('a customer manages their factors (/me/factors)', () => {
  const t = useTestApp({}, registerStandardClients);

  it('lists the directory phone (masked, not revocable) and trusted devices', async () => {
    const deviceId = await newDevice(t.dataSource, { cupid: ALICE, name: 'Pixel', platform: 'android' });
    const { token } = await aliceToken(t);
    const response = await asCustomer(t, token, '/me/factors');
    expect(response.status).toBe(200);
    const { factors } = await response.json();
    expect(factors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'sms', id: 'directory-phone', revocable: false }),
        expect.objectContaining({ kind: 'device', id: deviceId, label: 'Pixel (android)', revocable: true }),
      ]),
    );
    const sms = factors.find((factor: { kind: string }) => factor.kind === 'sms');
    expect(sms.label).not.toContain('7700900001');
  });

  it('refuses a removal without a fresh step-up, then removes with one, audited and notified', async () => {
    const notices = recordNotices(t);
    const deviceId = await newDevice(t.dataSource, { cupid: ALICE, name: 'Old phone' });

    // A password-only session: alice has a second factor (her phone), so she must step up first.
    const loa1 = await aliceToken(t);
    const refused = await asCustomer(t, loa1.token, `/me/factors/device/${deviceId}`, { method: 'DELETE' });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ type: 'urn:ciam:problem:step-up-required' });

    // loa2, but the step-up was longer ago than FACTOR_CHANGE_MAX_AGE_SECONDS (the access token itself is still live).
    const stale = await aliceToken(t, 'urn:ciam:loa:2');
    await t.dataSource.query(`UPDATE sessions SET auth_time = $2 WHERE id = $1`, [
      stale.sessionId,
      new Date(t.clock.now().getTime() - (t.config.factorChange.maxAgeSeconds + 1) * 1000),
    ]);
    expect((await asCustomer(t, stale.token, `/me/factors/device/${deviceId}`, { method: 'DELETE' })).status).toBe(403);

    const fresh = await aliceToken(t, 'urn:ciam:loa:2');
    const removed = await asCustomer(t, fresh.token, `/me/factors/device/${deviceId}`, { method: 'DELETE' });
    expect(removed.status).toBe(204);
    const [device] = await t.dataSource.query(`SELECT status, revoked_by FROM trusted_devices WHERE id = $1`, [
      deviceId,
    ]);
    expect(device).toEqual({ status: 'REVOKED', revoked_by: `CUSTOMER:${ALICE}` });
    expect(await auditEvents(t, { type: 'factor.removed' })).toEqual([
      expect.objectContaining({
        actor_type: 'CUSTOMER',
        cupid: ALICE,
        details: { kind: 'device', factorId: deviceId, reason: 'removed by the customer' },
      }),
    ]);
    expect(notices).toEqual([{ cupid: ALICE, notice: 'factor.removed' }]);

    // Gone: a second removal is "not found"; so are an unknown kind and a malformed id.
    for (const path of [`/me/factors/device/${deviceId}`, '/me/factors/carrier-pigeon/1', '/me/factors/device/x']) {
      const again = await asCustomer(t, fresh.token, path, { method: 'DELETE' });
      expect(again.status).toBe(404);
    }
    // The directory's phone is listed but changed only in the directory.
    const phone = await asCustomer(t, fresh.token, '/me/factors/sms/directory-phone', { method: 'DELETE' });
    expect(phone.status).toBe(409);
    expect(await phone.json()).toMatchObject({ type: 'urn:ciam:problem:factor-not-revocable' });
  });

  it("does not touch another customer's factor", async () => {
    const bobsDevice = await newDevice(t.dataSource, { cupid: 'CUPID-BOB-0002' });
    const { token } = await aliceToken(t, 'urn:ciam:loa:2');
    expect((await asCustomer(t, token, `/me/factors/device/${bobsDevice}`, { method: 'DELETE' })).status).toBe(404);
    const [device] = await t.dataSource.query(`SELECT status FROM trusted_devices WHERE id = $1`, [bobsDevice]);
    expect(device.status).toBe('ACTIVE');
  });
});

/** Agent API helpers over a workforce IdP: `sub` picks the agent. */
function agentClient(t: TestApp, idp: { token(o?: { sub?: string }): Promise<string> }) {
  return async (path: string, init: RequestInit = {}, sub = 'agent-007') =>
    contractFetch(`${t.baseUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${await idp.token({ sub })}`, 'content-type': 'application/json' },
    });
}

describe('support tools: factors and lockout (FACTOR_RESET_APPROVAL=none)', () => {
  const { idp, env } = useWorkforceIdp();
  Object.assign(env, { LOCKOUT_THROTTLE_AFTER: '3', LOCKOUT_LOCK_AFTER: '3', LOCKOUT_SUSPEND_AFTER: '3' });
  const t = useTestApp({ env }, registerStandardClients);
  const asAgent = agentClient(t, idp);

  it('lists, removes one and resets every revocable factor, with the reason in the audit trail', async () => {
    const notices = recordNotices(t);
    const one = await newDevice(t.dataSource, { cupid: ALICE, name: 'One' });
    const two = await newDevice(t.dataSource, { cupid: ALICE, name: 'Two' });
    const three = await newDevice(t.dataSource, { cupid: ALICE, name: 'Three' });

    const listed = await asAgent(`/agent/customers/${ALICE}/factors?reason=Customer%20lost%20a%20phone`);
    expect(listed.status).toBe(200);
    expect((await listed.json()).factors.map((f: { id: string }) => f.id)).toEqual(
      expect.arrayContaining(['directory-phone', one, two, three]),
    );
    expect((await asAgent(`/agent/customers/${ALICE}/factors`)).status).toBe(400); // no reason

    const removed = await asAgent(`/agent/customers/${ALICE}/factors/device/${one}/revoke`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'Phone reported stolen (INC-1)' }),
    });
    expect(removed.status).toBe(204);

    const reset = await asAgent(`/agent/customers/${ALICE}/factors/reset`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'Identity checked by video call (INC-2)' }),
    });
    expect(reset.status).toBe(200);
    expect(await reset.json()).toMatchObject({
      status: 'APPLIED',
      requestedBy: 'agent-007',
      approvedBy: null,
      revoked: { device: 2, sms: 0 },
    });
    const active = await t.dataSource.query(`SELECT id FROM trusted_devices WHERE cupid = $1 AND status = 'ACTIVE'`, [
      ALICE,
    ]);
    expect(active).toEqual([]);

    const resets = await auditEvents(t, { type: 'factors.reset' });
    expect(resets).toEqual([
      expect.objectContaining({
        actor_type: 'AGENT',
        actor_id: 'agent-007',
        details: expect.objectContaining({
          reason: 'Identity checked by video call (INC-2)',
          revoked: expect.objectContaining({ device: 2, sms: 0 }),
        }),
      }),
    ]);
    expect((await auditEvents(t, { type: 'factor.removed' }))[0]).toMatchObject({
      actor_id: 'agent-007',
      details: { kind: 'device', factorId: one, reason: 'Phone reported stolen (INC-1)' },
    });
    expect(notices.map((n) => n.notice)).toEqual(['factor.removed', 'factors.reset']);
  });

  it('sees a suspended account and unlocks it; the right password works again', async () => {
    const notices = recordNotices(t);
    const attempt = async (password: string) => {
      const journey = await startJourney(t);
      return submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', password);
    };
    for (let i = 0; i < 3; i += 1) expect((await attempt('wrong-password')).status).toBe(401);
    expect((await attempt('alice-password')).status).toBe(429);

    const seen = await asAgent(`/agent/customers/${ALICE}/lockout?reason=Customer%20cannot%20sign%20in`);
    expect(seen.status).toBe(200);
    expect(await seen.json()).toMatchObject({ locked: true, suspended: true, consecutiveFailures: 3 });

    const unlocked = await asAgent(`/agent/customers/${ALICE}/lockout/unlock`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'Identity checked on the phone (INC-3)' }),
    });
    expect(unlocked.status).toBe(200);
    expect(await unlocked.json()).toMatchObject({ locked: false, suspended: false, consecutiveFailures: 0 });
    expect(await auditEvents(t, { type: 'account.unlocked' })).toEqual([
      expect.objectContaining({
        actor_id: 'agent-007',
        details: { reason: 'Identity checked on the phone (INC-3)', wasLocked: true, wasSuspended: true, failures: 3 },
      }),
    ]);
    expect(notices).toEqual([{ cupid: ALICE, notice: 'account.unlocked' }]);
    const after = await attempt('alice-password');
    expect([200, 201]).toContain(after.status);
  });
});

describe('support tools: a factor reset approved by a second agent (FACTOR_RESET_APPROVAL=two-agents)', () => {
  const { idp, env } = useWorkforceIdp();
  env.FACTOR_RESET_APPROVAL = 'two-agents';
  const t = useTestApp({ env }, registerStandardClients);
  const asAgent = agentClient(t, idp);

  it('waits for a different agent, applies once under concurrent approvals', async () => {
    const device = await newDevice(t.dataSource, { cupid: ALICE });
    const requested = await asAgent(`/agent/customers/${ALICE}/factors/reset`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'Customer lost every device (INC-4)' }),
    });
    expect(requested.status).toBe(200);
    const pending = await requested.json();
    expect(pending).toMatchObject({ status: 'PENDING', revoked: {} });
    const [stillActive] = await t.dataSource.query(`SELECT status FROM trusted_devices WHERE id = $1`, [device]);
    expect(stillActive.status).toBe('ACTIVE');

    const approve = (sub: string) =>
      asAgent(
        `/agent/customers/${ALICE}/factors/reset/${pending.id}/approve`,
        { method: 'POST', body: JSON.stringify({ reason: 'Second look at INC-4' }) },
        sub,
      );
    const own = await approve('agent-007');
    expect(own.status).toBe(409);
    expect(await own.json()).toMatchObject({ type: 'urn:ciam:problem:factor-reset-not-pending' });

    const [a, b] = await Promise.all([approve('agent-008'), approve('agent-009')]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const applied = await (a.status === 200 ? a : b).json();
    expect(applied).toMatchObject({ status: 'APPLIED', requestedBy: 'agent-007', revoked: { device: 1 } });
    const [revoked] = await t.dataSource.query(`SELECT status FROM trusted_devices WHERE id = $1`, [device]);
    expect(revoked.status).toBe('REVOKED');
    expect(await auditEvents(t, { type: 'factors.reset' })).toHaveLength(1);
    expect(await auditEvents(t, { type: 'factors.reset_requested' })).toHaveLength(1);
  });
});
