import type { TestApp } from '../support/app';
import { useTestApp } from '../support/app';
import { contractFetch } from '../support/contract';
import { newDevice } from '../support/factories';
import { startJourney, submitPassword } from '../support/journeys';
import { introspect, postForm, refresh, registerStandardClients, SPA } from '../support/oauth';
import { useWorkforceIdp } from '../support/workforce';

/**
 * Scenario 7 (SCENARIOS.md): a support agent with a workforce token lists a customer's sessions by CUPID
 * and revokes one, or all, with a reason; the session's tokens stop working at once; audit records the
 * agent's identity and reason.
 */
describe('scenario 7: session revocation by a support agent', () => {
  const { idp, env } = useWorkforceIdp();
  const t = useTestApp({ env }, registerStandardClients);

  /** alice signs in through a real journey and redeems the code. */
  async function aliceSignsIn(app: TestApp, userAgent: string) {
    const journey = await startJourney(app, {}, { 'user-agent': userAgent });
    const done = await (
      await submitPassword(app, journey.journeyId, journey.transactionToken, 'alice', 'alice-password', {
        'user-agent': userAgent,
      })
    ).json();
    const tokens = await (
      await postForm(app, '/oauth2/token', {
        grant_type: 'authorization_code',
        code: done.authorizationCode,
        redirect_uri: SPA.redirectUri,
        code_verifier: journey.verifier,
        client_id: SPA.clientId,
      })
    ).json();
    return tokens as { access_token: string; refresh_token: string };
  }

  const asAgent = async (path: string, init: RequestInit = {}) =>
    contractFetch(`${t.baseUrl}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${await idp.token()}`,
        'content-type': 'application/json',
        ...(init.headers ?? {}),
      },
    });

  it('finds the customer by CUPID, revokes one session with a reason, and its tokens fail everywhere at once', async () => {
    const laptop = await aliceSignsIn(t, 'laptop-browser');
    const phone = await aliceSignsIn(t, 'phone-browser');

    const listed = await asAgent(
      '/agent/customers/CUPID-ALICE-0001/sessions?reason=Customer%20reports%20a%20stolen%20laptop',
    );
    expect(listed.status).toBe(200);
    const { sessions } = await listed.json();
    expect(sessions.map((session: { userAgent: string }) => session.userAgent)).toEqual([
      'phone-browser',
      'laptop-browser',
    ]);
    const laptopSession = sessions[1];
    expect(laptopSession).toMatchObject({ status: 'ACTIVE', clientId: SPA.clientId, amr: ['pwd'] });

    const revoked = await asAgent(`/agent/customers/CUPID-ALICE-0001/sessions/${laptopSession.id}/revoke`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'Customer reports a stolen laptop (INC-1)' }),
    });
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toMatchObject({
      id: laptopSession.id,
      status: 'REVOKED',
      revokedBy: 'AGENT:agent-007',
      revokeReason: 'Customer reports a stolen laptop (INC-1)',
    });

    expect(await introspect(t, laptop.access_token)).toEqual({ active: false });
    expect(await introspect(t, laptop.refresh_token)).toEqual({ active: false });
    expect((await refresh(t, laptop.refresh_token)).status).toBe(400);
    expect(
      (await fetch(`${t.baseUrl}/oauth2/userinfo`, { headers: { authorization: `Bearer ${laptop.access_token}` } }))
        .status,
    ).toBe(401);
    expect(
      (await fetch(`${t.baseUrl}/me/sessions`, { headers: { authorization: `Bearer ${laptop.access_token}` } })).status,
    ).toBe(401);
    // The other session is untouched.
    expect(await introspect(t, phone.access_token)).toMatchObject({ active: true });

    const trail = await (
      await asAgent('/agent/customers/CUPID-ALICE-0001/audit?reason=Checking%20the%20revocation&types=session.revoked')
    ).json();
    expect(trail.events).toEqual([
      expect.objectContaining({
        type: 'session.revoked',
        actorType: 'AGENT',
        actorId: 'agent-007',
        sessionId: laptopSession.id,
        details: { reason: 'Customer reports a stolen laptop (INC-1)' },
      }),
    ]);
    const views = await t.dataSource.query(
      `SELECT actor_id, details FROM audit_logs WHERE event_type = 'agent.viewed' ORDER BY created_at`,
    );
    expect(views).toEqual([
      { actor_id: 'agent-007', details: { what: 'sessions', reason: 'Customer reports a stolen laptop' } },
      { actor_id: 'agent-007', details: { what: 'audit', reason: 'Checking the revocation' } },
    ]);
  });

  it("revokes all of a customer's sessions", async () => {
    const one = await aliceSignsIn(t, 'a');
    const two = await aliceSignsIn(t, 'b');
    const response = await asAgent('/agent/customers/CUPID-ALICE-0001/sessions/revoke-all', {
      method: 'POST',
      body: JSON.stringify({ reason: 'Account takeover suspected' }),
    });
    expect(response.status).toBe(200);
    expect((await response.json()).revoked).toBeGreaterThanOrEqual(2);
    for (const tokens of [one, two]) expect(await introspect(t, tokens.access_token)).toEqual({ active: false });
  });

  it('pages the audit trail newest first with a cursor, within a time range', async () => {
    await aliceSignsIn(t, 'paging');
    const first = await (await asAgent('/agent/customers/CUPID-ALICE-0001/audit?reason=paging%20check&limit=3')).json();
    expect(first.events).toHaveLength(3);
    const second = await (
      await asAgent(`/agent/customers/CUPID-ALICE-0001/audit?reason=paging%20check&limit=3&cursor=${first.nextCursor}`)
    ).json();
    const times = [...first.events, ...second.events].map((event: { createdAt: string }) => event.createdAt);
    expect(times.every((time, i) => i === 0 || times[i - 1] >= time)).toBe(true);
    expect(new Set([...first.events, ...second.events].map((event: { id: string }) => event.id)).size).toBe(6);
    const future = await (
      await asAgent('/agent/customers/CUPID-ALICE-0001/audit?reason=range%20check&from=2099-01-01T00:00:00Z')
    ).json();
    expect(future.events).toEqual([]);
    const garbage = await asAgent('/agent/customers/CUPID-ALICE-0001/audit?reason=cursor%20check&cursor=not-a-cursor');
    expect(garbage.status).toBe(400);
  });

  it('requires a reason for every agent action', async () => {
    expect((await asAgent('/agent/customers/CUPID-ALICE-0001/sessions')).status).toBe(400);
    const response = await asAgent('/agent/customers/CUPID-ALICE-0001/sessions/revoke-all', {
      method: 'POST',
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect((await response.json()).errors[0].field).toBe('reason');
  });

  it("does not revoke a session of another customer through this customer's path", async () => {
    const tokens = await aliceSignsIn(t, 'x');
    const [session] = await t.dataSource.query(
      `SELECT id FROM sessions WHERE cupid = 'CUPID-ALICE-0001' AND status = 'ACTIVE' LIMIT 1`,
    );
    const response = await asAgent(`/agent/customers/CUPID-BOB-0002/sessions/${session.id}/revoke`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'wrong customer' }),
    });
    expect(response.status).toBe(404);
    expect(await introspect(t, tokens.access_token)).toMatchObject({ active: true });
  });

  it("lists and revokes a customer's trusted devices", async () => {
    const device = {
      id: await newDevice(t.dataSource, {
        cupid: 'CUPID-ALICE-0001',
        name: 'Pixel',
        platform: 'android',
        thumbprint: 'thumb-agent-test',
      }),
    };
    const listed = await (await asAgent('/agent/customers/CUPID-ALICE-0001/devices?reason=device%20review')).json();
    expect(listed.devices).toEqual([expect.objectContaining({ id: device.id, name: 'Pixel', status: 'ACTIVE' })]);
    const revoked = await asAgent(`/agent/customers/CUPID-ALICE-0001/devices/${device.id}/revoke`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'Lost phone' }),
    });
    expect(revoked.status).toBe(204);
    expect(
      (
        await asAgent(`/agent/customers/CUPID-ALICE-0001/devices/${device.id}/revoke`, {
          method: 'POST',
          body: JSON.stringify({ reason: 'Lost phone' }),
        })
      ).status,
    ).toBe(404);
    const [event] = await t.dataSource.query(
      `SELECT actor_type, actor_id, details FROM audit_logs WHERE event_type = 'device.revoked'`,
    );
    expect(event).toEqual({
      actor_type: 'AGENT',
      actor_id: 'agent-007',
      details: { deviceId: device.id, reason: 'Lost phone' },
    });
  });
});

describe('who may use the agent API', () => {
  const { idp, env } = useWorkforceIdp();
  const t = useTestApp({ env }, registerStandardClients);
  const path = '/agent/customers/CUPID-ALICE-0001/sessions?reason=authorization%20check';
  const call = (authorization?: string) =>
    fetch(`${t.baseUrl}${path}`, { headers: authorization ? { authorization } : {} });

  it('admits a token with the agent role', async () => {
    expect((await call(`Bearer ${await idp.token()}`)).status).toBe(200);
  });

  it.each([
    ['no token', async () => undefined, 401],
    ['a malformed token', async () => 'Bearer not.a.jwt', 401],
    ['the wrong issuer', async () => `Bearer ${await idp.token({ issuer: 'https://other-idp.test' })}`, 401],
    ['the wrong audience', async () => `Bearer ${await idp.token({ audience: 'some-other-api' })}`, 401],
    ['an expired token', async () => `Bearer ${await idp.token({ expiresIn: '-5m' })}`, 401],
    ['an unknown key', async () => `Bearer ${await idp.token({ kid: 'unknown-kid', foreignKey: true })}`, 401],
    ['a forged signature under the known kid', async () => `Bearer ${await idp.token({ foreignKey: true })}`, 401],
    ['no agent role', async () => `Bearer ${await idp.token({ roles: ['ciam-viewer'] })}`, 403],
  ] as Array<[string, () => Promise<string | undefined>, number]>)(
    'refuses %s with problem+json',
    async (_name, authorization, status) => {
      const response = await call(await authorization());
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    },
  );

  it('never accepts a customer access token (another issuer)', async () => {
    const journey = await startJourney(t);
    const done = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password')
    ).json();
    const tokens = await (
      await postForm(t, '/oauth2/token', {
        grant_type: 'authorization_code',
        code: done.authorizationCode,
        redirect_uri: SPA.redirectUri,
        code_verifier: journey.verifier,
        client_id: SPA.clientId,
      })
    ).json();
    expect((await call(`Bearer ${tokens.access_token}`)).status).toBe(401);
    const service = await (
      await postForm(t, '/oauth2/token', {
        grant_type: 'client_credentials',
        client_id: 'test-service',
        client_secret: 'test-service-secret-0123456789',
      })
    ).json();
    expect((await call(`Bearer ${service.access_token}`)).status).toBe(401);
  });

  it('rejects a malformed CUPID', async () => {
    const response = await fetch(`${t.baseUrl}/agent/customers/${'x'.repeat(65)}/sessions?reason=check%20it`, {
      headers: { authorization: `Bearer ${await idp.token()}` },
    });
    expect(response.status).toBe(400);
  });
});
