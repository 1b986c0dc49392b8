import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { SET_EVENT_TYPES } from '../../src/outbox/security-events';
import { startTestApp } from '../support/app';
import type { TestApp } from '../support/app';
import { completeLogin, exchangeCode, refresh, registerStandardClients } from '../support/oauth';
import { VendorServer } from '../support/vendor-server';
import { useWorkforceIdp, WORKFORCE } from '../support/workforce';

/**
 * Shared Signals (issue 19 item 3): an admin agent registers a receiver; security events (an agent revoking a
 * session, an MFA reset, a directory disable) reach it as RFC 8417 SETs pushed per RFC 8935, which it verifies
 * against the service's JWKS with jose.
 */
describe('Shared Signals: CAEP/RISC security event tokens', () => {
  const { idp, env: agentEnv } = useWorkforceIdp();
  const receiver = new VendorServer();
  let t: TestApp;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  const AUDIENCE = 'https://brokerage.example';
  const admin = () => idp.token({ roles: [WORKFORCE.role, 'ciam-admin'], sub: 'admin-1' });

  beforeAll(async () => {
    await receiver.start();
    receiver.always({ kind: 'status', status: 202 });
    t = await startTestApp({
      env: {
        ...agentEnv,
        OUTBOX_DELIVERY_ENABLED: 'true',
        OUTBOX_POLL_INTERVAL_MS: '50',
        OUTBOX_BACKOFF_BASE_MS: '20',
        OUTBOX_BACKOFF_MAX_MS: '100',
      },
    });
    await registerStandardClients(t);
    jwks = createRemoteJWKSet(new URL(`${t.baseUrl}/oauth2/jwks`));
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  const adminCall = async (method: string, path: string, body?: unknown, token?: string) =>
    fetch(`${t.baseUrl}/agent/admin/set-receivers${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token ?? (await admin())}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const agentPost = async (path: string, body: unknown) =>
    fetch(`${t.baseUrl}/agent/customers${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await idp.token()}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  /** Every SET the receiver got, verified as a receiver would (RFC 8417 §2, RFC 8935 §2). */
  async function received(): Promise<JWTPayload[]> {
    const sets: JWTPayload[] = [];
    for (const request of receiver.requests) {
      expect(request.method).toBe('POST');
      expect(request.headers['content-type']).toBe('application/secevent+jwt');
      expect(request.headers.accept).toBe('application/json');
      expect(decodeProtectedHeader(request.body).typ).toBe('secevent+jwt');
      const { payload } = await jwtVerify(request.body, jwks, {
        issuer: t.config.oidc.issuer,
        audience: AUDIENCE,
        typ: 'secevent+jwt',
        requiredClaims: ['iat', 'jti'],
      });
      sets.push(payload);
    }
    return sets;
  }

  async function eventOf(type: string, cupid: string): Promise<JWTPayload> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const match = (await received()).find((set) => {
        const subject = set.sub_id as { sub?: string; user?: { sub: string } };
        return type in (set.events as object) && (subject.sub ?? subject.user?.sub) === cupid;
      });
      if (match) return match;
      if (Date.now() > deadline) throw new Error(`no ${type} SET for ${cupid}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it('only an agent with the admin role manages receivers; bad registrations are 400 with nothing stored', async () => {
    const plain = await adminCall('GET', '', undefined, await idp.token());
    expect(plain.status).toBe(403);
    expect(plain.headers.get('content-type')).toContain('application/problem+json');
    for (const bad of [
      {
        name: 'x',
        endpointUrl: 'http://brokerage.example/ssf',
        audience: AUDIENCE,
        eventTypes: [SET_EVENT_TYPES.SESSION_REVOKED],
      },
      { name: 'x', endpointUrl: `${receiver.url}/ssf`, audience: AUDIENCE, eventTypes: ['urn:unknown'] },
      { name: 'x', endpointUrl: `${receiver.url}/ssf`, audience: AUDIENCE, eventTypes: [] },
    ]) {
      const response = await adminCall('POST', '', bad);
      expect(response.status).toBe(400);
      expect((await response.json()).type).toMatch(/validation/i);
    }
    expect((await (await adminCall('GET', '')).json()).receivers).toEqual([]);
  });

  it('pushes a CAEP session-revoked SET when an agent revokes a session, verifiable against the JWKS', async () => {
    const created = await adminCall('POST', '', {
      name: 'Brokerage risk engine',
      endpointUrl: `${receiver.url}/ssf`,
      audience: AUDIENCE,
      eventTypes: [
        SET_EVENT_TYPES.SESSION_REVOKED,
        SET_EVENT_TYPES.CREDENTIAL_CHANGE,
        SET_EVENT_TYPES.ACCOUNT_DISABLED,
      ],
    });
    expect(created.status).toBe(201);
    const registered = await created.json();
    expect(registered).toMatchObject({ name: 'Brokerage risk engine', active: true, audience: AUDIENCE });

    const login = await completeLogin(t, { cupid: 'CUPID-ALICE-0001' });
    const revoke = await agentPost(`/${login.cupid}/sessions/${login.sessionId}/revoke`, { reason: 'stolen phone' });
    expect(revoke.status).toBeLessThan(300);

    const set = await eventOf(SET_EVENT_TYPES.SESSION_REVOKED, login.cupid);
    expect(set).toEqual({
      iss: t.config.oidc.issuer,
      aud: AUDIENCE,
      iat: expect.any(Number),
      jti: expect.any(String),
      sub_id: {
        format: 'complex',
        user: { format: 'iss_sub', iss: t.config.oidc.issuer, sub: login.cupid },
        session: { format: 'opaque', id: login.sessionId },
      },
      events: {
        [SET_EVENT_TYPES.SESSION_REVOKED]: { initiating_entity: 'admin', event_timestamp: expect.any(Number) },
      },
    });
    const audit = await t.dataSource.query(
      `SELECT actor_id, details FROM audit_logs WHERE event_type = 'set_receiver.registered'`,
    );
    expect(audit).toEqual([
      { actor_id: 'admin-1', details: expect.objectContaining({ receiverId: registered.id, audience: AUDIENCE }) },
    ]);
  });

  it('pushes a CAEP credential-change SET when an agent resets the customer’s MFA', async () => {
    const cupid = 'CUPID-BOB-0002';
    const response = await agentPost(`/${cupid}/mfa/unlock`, { reason: 'verified caller, ticket 4711' });
    expect(response.status).toBe(200);
    const set = await eventOf(SET_EVENT_TYPES.CREDENTIAL_CHANGE, cupid);
    expect(set.sub_id).toEqual({ format: 'iss_sub', iss: t.config.oidc.issuer, sub: cupid });
    expect(set.events).toEqual({
      [SET_EVENT_TYPES.CREDENTIAL_CHANGE]: {
        change_type: 'update',
        credential_type: 'phone-sms',
        initiating_entity: 'admin',
        event_timestamp: expect.any(Number),
      },
    });
  });

  it('pushes a RISC account-disabled SET when a refresh finds the customer disabled in the directory', async () => {
    const login = await completeLogin(t, { cupid: 'CUPID-DAVE-0004', scope: 'openid offline_access' });
    const tokens = await (await exchangeCode(t, login)).json();
    expect((await refresh(t, tokens.refresh_token)).status).toBe(400);
    const set = await eventOf(SET_EVENT_TYPES.ACCOUNT_DISABLED, login.cupid);
    expect(set.sub_id).toEqual({ format: 'iss_sub', iss: t.config.oidc.issuer, sub: login.cupid });
    // The session it ended is a session-revoked signal of its own.
    await eventOf(SET_EVENT_TYPES.SESSION_REVOKED, login.cupid);
  });

  it('a deactivated receiver gets nothing more', async () => {
    const [active] = (await (await adminCall('GET', '')).json()).receivers;
    expect((await adminCall('POST', `/${active.id}/deactivate`)).status).toBe(204);
    expect((await adminCall('POST', `/${active.id}/deactivate`)).status).toBe(404);
    receiver.requests.length = 0;
    const login = await completeLogin(t, { cupid: 'CUPID-ALICE-0001' });
    await agentPost(`/${login.cupid}/sessions/${login.sessionId}/revoke`, { reason: 'after deactivation' });
    // The fan-out ran (the session_ended and security_event messages delivered) and produced no SET.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const [{ n }] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM outbox_messages WHERE channel = 'security_event' AND payload->>'sessionId' = $1 AND state = 'DELIVERED'`,
        [login.sessionId],
      );
      if (n === 1) break;
      if (Date.now() > deadline) throw new Error('the security event was not fanned out');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(receiver.requests).toEqual([]);
  });
});
