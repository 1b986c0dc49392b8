import { useTestApp } from '../support/app';
import type { TestApp } from '../support/app';
import { contractFetch } from '../support/contract';
import { newDevice, newSession } from '../support/factories';
import { startJourney, submitPassword } from '../support/journeys';
import { introspect, postForm, registerStandardClients, SERVICE, SPA } from '../support/oauth';

async function signIn(t: TestApp, username: string, password: string, userAgent: string) {
  const journey = await startJourney(t, {}, { 'user-agent': userAgent });
  const done = await (
    await submitPassword(t, journey.journeyId, journey.transactionToken, username, password, {
      'user-agent': userAgent,
    })
  ).json();
  return (await (
    await postForm(t, '/oauth2/token', {
      grant_type: 'authorization_code',
      code: done.authorizationCode,
      redirect_uri: SPA.redirectUri,
      code_verifier: journey.verifier,
      client_id: SPA.clientId,
    })
  ).json()) as { access_token: string; refresh_token: string };
}

/** What a customer can do with their own access token, and nothing more. */
describe('customer self-service', () => {
  const t = useTestApp({}, registerStandardClients);
  const me = (token: string, path: string, method = 'GET') =>
    contractFetch(`${t.baseUrl}/me${path}`, { method, headers: { authorization: `Bearer ${token}` } });

  it('lists my active sessions and marks the current one', async () => {
    const laptop = await signIn(t, 'alice', 'alice-password', 'laptop');
    await signIn(t, 'alice', 'alice-password', 'phone');
    const response = await me(laptop.access_token, '/sessions');
    expect(response.status).toBe(200);
    const { sessions } = await response.json();
    expect(sessions.length).toBeGreaterThanOrEqual(2);
    expect(sessions.filter((session: { current: boolean }) => session.current)).toEqual([
      expect.objectContaining({ userAgent: 'laptop', ipAddress: '127.0.0.1', status: 'ACTIVE' }),
    ]);
    expect(sessions.every((session: { clientId: string }) => session.clientId === SPA.clientId)).toBe(true);
  });

  it('signs out one session, then every other one, and the revoked tokens stop working', async () => {
    const keep = await signIn(t, 'alice', 'alice-password', 'keep');
    const drop = await signIn(t, 'alice', 'alice-password', 'drop');
    const other = await signIn(t, 'alice', 'alice-password', 'other');
    const { sessions } = await (await me(keep.access_token, '/sessions')).json();
    const dropId = sessions.find((session: { userAgent: string }) => session.userAgent === 'drop').id;
    expect((await me(keep.access_token, `/sessions/${dropId}`, 'DELETE')).status).toBe(204);
    expect(await introspect(t, drop.access_token)).toEqual({ active: false });
    expect((await me(drop.access_token, '/sessions')).status).toBe(401);

    const others = await me(keep.access_token, '/sessions/revoke-others', 'POST');
    expect(others.status).toBe(200);
    expect((await others.json()).revoked).toBeGreaterThanOrEqual(1);
    expect(await introspect(t, other.access_token)).toEqual({ active: false });
    expect(await introspect(t, keep.access_token)).toMatchObject({ active: true });
    const [event] = await t.dataSource.query(
      `SELECT actor_type, details FROM audit_logs WHERE event_type = 'session.revoked' AND details->>'reason' = 'signed out by the customer'`,
    );
    expect(event.actor_type).toBe('CUSTOMER');
  });

  it("cannot see or touch another customer's sessions or devices", async () => {
    const alice = await signIn(t, 'alice', 'alice-password', 'alice');
    const bobSession = await newSession(t.dataSource, { cupid: 'CUPID-BOB-0002' });
    const bobDevice = { id: await newDevice(t.dataSource, { cupid: 'CUPID-BOB-0002', name: 'Bob phone' }) };
    expect((await me(alice.access_token, `/sessions/${bobSession.id}`, 'DELETE')).status).toBe(404);
    expect((await me(alice.access_token, `/devices/${bobDevice.id}`, 'DELETE')).status).toBe(404);
    const listed = await (await me(alice.access_token, '/sessions')).json();
    expect(listed.sessions.map((session: { id: string }) => session.id)).not.toContain(bobSession.id);
    expect((await me(alice.access_token, '/devices')).status).toBe(200);
    expect(await t.dataSource.query(`SELECT status FROM sessions WHERE id = $1`, [bobSession.id])).toEqual([
      { status: 'ACTIVE' },
    ]);
  });

  it('lists and removes my trusted devices', async () => {
    const alice = await signIn(t, 'alice', 'alice-password', 'devices');
    const device = {
      id: await newDevice(t.dataSource, {
        cupid: 'CUPID-ALICE-0001',
        name: 'iPhone',
        platform: 'ios',
        thumbprint: 'alice-thumb',
      }),
    };
    expect((await (await me(alice.access_token, '/devices')).json()).devices).toEqual([
      expect.objectContaining({ id: device.id, name: 'iPhone', thumbprint: 'alice-thumb' }),
    ]);
    expect((await me(alice.access_token, `/devices/${device.id}`, 'DELETE')).status).toBe(204);
    expect((await (await me(alice.access_token, '/devices')).json()).devices).toEqual([]);
  });

  it('refuses missing, unknown and client-credentials tokens with 401 and a Bearer challenge', async () => {
    const missing = await fetch(`${t.baseUrl}/me/sessions`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect((await me('not-a-token', '/sessions')).status).toBe(401);
    const service = await (
      await postForm(
        t,
        '/oauth2/token',
        { grant_type: 'client_credentials' },
        { id: SERVICE.clientId, secret: SERVICE.secret },
      )
    ).json();
    expect((await me(service.access_token, '/sessions')).status).toBe(401);
  });
});
