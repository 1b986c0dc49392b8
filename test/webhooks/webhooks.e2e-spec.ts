import { AuditSequencer } from '../../src/audit-chain/audit-sequencer';
import { OutboxDispatcher } from '../../src/outbox/outbox-dispatcher';
import { verifyWebhook } from '../../src/webhooks/webhook-signature';
import { useTestApp } from '../support/app';
import { cli } from '../support/cli';
import { sendSms, startJourney, submitPassword, verifySms } from '../support/journeys';
import { registerStandardClients } from '../support/oauth';
import { useDirectoryAndSmsGateway } from '../support/sms-gateway';
import { RecordedRequest, VendorServer } from '../support/vendor-server';
import { useWorkforceIdp, WORKFORCE } from '../support/workforce';
import { chainEverything } from '../support/audit-chain';

const ADMIN = 'ciam-admin';

interface Delivered {
  id: string;
  type: string;
  data: {
    id: string;
    seq: number;
    contextId: string | null;
    cupid?: string;
    ip?: string;
    details?: unknown;
    actor: { id: string | null };
  };
}

/** Issue 19 items 2 and 6: audit events pushed to a subscribed endpoint, signed, in order, again after failures. */
describe('webhooks', () => {
  const { gateway, env: smsEnv } = useDirectoryAndSmsGateway();
  const { idp, env: idpEnv } = useWorkforceIdp();
  const receiver = new VendorServer();
  const env: Record<string, string> = {};
  beforeAll(async () => {
    await receiver.start();
    Object.assign(env, smsEnv, idpEnv, { OUTBOX_BACKOFF_BASE_MS: '100', OUTBOX_BACKOFF_MAX_MS: '1000' });
  });
  afterAll(() => receiver.stop());
  const t = useTestApp({ env }, registerStandardClients);
  beforeEach(() => {
    gateway.always({ kind: 'json', body: { id: 'msg-1' } });
    receiver.always({ kind: 'json', body: {} });
    receiver.requests.length = 0;
  });

  const admin = async () => `Bearer ${await idp.token({ roles: [WORKFORCE.role, ADMIN] })}`;
  const api = async (path: string, init: { method?: string; body?: unknown; auth?: string } = {}) =>
    fetch(`${t.baseUrl}/agent/admin/webhooks${path}`, {
      method: init.method ?? (init.body ? 'POST' : 'GET'),
      headers: { authorization: init.auth ?? (await admin()), 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });

  /** Chains what is committed, then delivers until nothing is due (the clock moved past every backoff). */
  async function flush(): Promise<void> {
    const sequencer = t.app.get(AuditSequencer);
    await chainEverything(t.dataSource, () => sequencer.chainAll());
    const dispatcher = t.app.get(OutboxDispatcher);
    for (let round = 0; round < 50 && (await dispatcher.deliverDue()) > 0; round += 1) t.clock.advance(2);
  }

  /** A password + SMS login by bob (directory + SMS gateway), as the hosted page drives it. */
  async function bobLogsIn(): Promise<string> {
    const journey = await startJourney(t);
    const password = await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password');
    const sent = await sendSms(t, journey.journeyId, (await password.json()).transactionToken);
    const code = /(\d{6})/.exec(JSON.parse(gateway.requests.at(-1)!.body).text)![1];
    const done = await verifySms(t, journey.journeyId, (await sent.json()).transactionToken, code);
    expect(await done.json()).toMatchObject({ status: 'COMPLETED' });
    return journey.journeyId;
  }

  /** The receiver's check (README, "Webhooks"): signature over id.timestamp.body, timestamp within tolerance. */
  function verified(request: RecordedRequest, secret: string): Delivered {
    const headers = {
      id: String(request.headers['webhook-id']),
      timestamp: String(request.headers['webhook-timestamp']),
      signature: String(request.headers['webhook-signature']),
    };
    const now = Math.floor(t.clock.now().getTime() / 1000);
    expect(verifyWebhook(secret, headers, request.body, now)).toBe(true);
    // A tampered body, another secret, or a replay outside the tolerance fail the same check.
    expect(verifyWebhook(secret, headers, request.body.replace('"type"', '"typo"'), now)).toBe(false);
    expect(verifyWebhook(`${secret.slice(0, -4)}AAA=`, headers, request.body, now)).toBe(false);
    expect(verifyWebhook(secret, headers, request.body, now + 3600)).toBe(false);
    return { id: headers.id, ...(JSON.parse(request.body) as Omit<Delivered, 'id'>) };
  }

  async function journeyEvents(contextId: string): Promise<Array<{ event_type: string; seq: number }>> {
    const rows = (await t.dataSource.query(
      `SELECT event_type, chain_seq::int AS seq FROM audit_logs WHERE context_id = $1 ORDER BY chain_seq`,
      [contextId],
    )) as Array<{ event_type: string; seq: number }>;
    expect(rows.every((row) => row.seq !== null)).toBe(true);
    return rows;
  }

  let soc: { id: string; secret: string };
  let minimal: { id: string; secret: string };

  it('admins subscribe through the agent API; the secret is shown once; bad input and non-admins are refused', async () => {
    const support = `Bearer ${await idp.token()}`;
    expect((await api('', { auth: support })).status).toBe(403);
    const refused = await api('', {
      body: { name: 'x', url: 'ftp://soc.example/hook', eventTypes: ['journey.started', 'no.such_event'] },
    });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(await refused.json())).toMatch(/url.*https[\s\S]*no\.such_event/);

    const created = await api('', {
      body: { name: 'SOC feed', url: `${receiver.url}/soc`, eventTypes: ['*'], includeCupid: true },
    });
    expect(created.status).toBe(201);
    const body = await created.json();
    expect(body).toMatchObject({
      subscription: { name: 'SOC feed', eventTypes: ['*'], includeCupid: true, includeNetwork: false, active: true },
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    soc = { id: body.subscription.id, secret: body.secret };
    const small = await (
      await api('', { body: { name: 'SMS watch', url: `${receiver.url}/sms`, eventTypes: ['mfa.sms_sent'] } })
    ).json();
    minimal = { id: small.subscription.id, secret: small.secret };

    const listed = await (await api('')).json();
    expect(listed.subscriptions.map((s: { id: string }) => s.id)).toEqual([soc.id, minimal.id]);
    expect(JSON.stringify(listed)).not.toContain(soc.secret);
    expect((await api('/6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b/disable', { body: {} })).status).toBe(404);
    expect((await api('/not-a-uuid/disable', { body: {} })).status).toBe(404);
    // Audited without the secret; the secret is in no log line and only sealed in the table.
    const [audit] = await t.dataSource.query(
      `SELECT actor_type, actor_id, details FROM audit_logs WHERE event_type = 'webhook.subscription_created' ORDER BY created_at LIMIT 1`,
    );
    expect(audit).toMatchObject({ actor_type: 'AGENT', actor_id: 'agent-007', details: { subscriptionId: soc.id } });
    expect(JSON.stringify(audit)).not.toContain(soc.secret.slice(6));
    expect(t.rawLogs()).not.toContain(soc.secret.slice(6));
    const [stored] = await t.dataSource.query(`SELECT secret_sealed FROM webhook_subscriptions WHERE id = $1`, [
      soc.id,
    ]);
    expect(stored.secret_sealed.toString('latin1')).not.toContain(soc.secret.slice(6));
  });

  it('delivers every event of a password + SMS login, signed, each customer’s events in chain order', async () => {
    const contextId = await bobLogsIn();
    await flush();
    const expected = await journeyEvents(contextId);
    expect(expected.map((row) => row.event_type)).toEqual(
      expect.arrayContaining(['journey.started', 'credentials.verified', 'mfa.sms_sent', 'mfa.otp_verified']),
    );
    const toSoc = receiver.requests.filter((r) => r.url === '/soc').map((r) => verified(r, soc.secret));
    const ofJourney = toSoc.filter((d) => d.data.contextId === contextId);
    expect(ofJourney.map((d) => d.type).sort()).toEqual(expected.map((row) => row.event_type).sort());
    // Bob's events (those carrying his CUPID) arrived in chain order, each once.
    const bobs = toSoc.filter((d) => d.data.cupid?.startsWith('CUPID-BOB'));
    expect(bobs.length).toBeGreaterThanOrEqual(expected.length - 1);
    const seqs = bobs.map((d) => d.data.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(toSoc.map((d) => d.id)).size).toBe(toSoc.length);
    // The minimal subscription: only its type, no CUPID, no address, no details.
    const toMinimal = receiver.requests.filter((r) => r.url === '/sms').map((r) => verified(r, minimal.secret));
    expect(toMinimal.map((d) => d.type)).toEqual(['mfa.sms_sent']);
    expect(toMinimal[0].data).not.toHaveProperty('cupid');
    expect(toMinimal[0].data).not.toHaveProperty('ip');
    expect(toMinimal[0].data).not.toHaveProperty('details');
    expect(toMinimal[0].data.actor.id).toBeNull();
  });

  it('after the receiver answered 500 for a while, deliveries resume, in order, nothing lost', async () => {
    receiver.always({ kind: 'status', status: 500 });
    const contextId = await bobLogsIn();
    // Every row chained (the sequencer's horizon is the whole server's: another spec file's transaction can hold
    // one chainAll() short, and the deliveries would then come late, in the next test).
    const sequencer = t.app.get(AuditSequencer);
    await chainEverything(t.dataSource, () => sequencer.chainAll());
    const dispatcher = t.app.get(OutboxDispatcher);
    for (let round = 0; round < 3; round += 1) {
      await dispatcher.deliverDue();
      t.clock.advance(2);
    }
    const failed = receiver.requests.length;
    expect(failed).toBeGreaterThan(0);
    const [pending] = await t.dataSource.query(
      `SELECT count(*)::int AS n, max(attempts)::int AS attempts FROM outbox_messages WHERE channel = 'webhook' AND state = 'PENDING'`,
    );
    expect(pending.n).toBeGreaterThan(0);
    expect(pending.attempts).toBeGreaterThanOrEqual(2);

    receiver.always({ kind: 'json', body: {} });
    receiver.requests.length = 0;
    await flush();
    const toSoc = receiver.requests.filter((r) => r.url === '/soc').map((r) => verified(r, soc.secret));
    const expected = await journeyEvents(contextId);
    expect(
      toSoc
        .filter((d) => d.data.contextId === contextId)
        .map((d) => d.type)
        .sort(),
    ).toEqual(expected.map((row) => row.event_type).sort());
    const bobs = toSoc.filter((d) => d.data.cupid?.startsWith('CUPID-BOB')).map((d) => d.data.seq);
    expect(bobs.length).toBeGreaterThanOrEqual(expected.length - 1);
    expect(bobs).toEqual([...bobs].sort((a, b) => a - b));
    const [left] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM outbox_messages WHERE channel = 'webhook' AND state <> 'DELIVERED'`,
    );
    expect(left.n).toBe(0);
  });

  it('rotating the secret signs the next deliveries with the new one; a disabled subscription gets nothing more', async () => {
    const rotated = await (await api(`/${minimal.id}/rotate-secret`, { body: {} })).json();
    expect(rotated.secret).not.toBe(minimal.secret);
    await bobLogsIn();
    await flush();
    const sms = receiver.requests.filter((r) => r.url === '/sms');
    expect(sms).toHaveLength(1);
    verified(sms[0], rotated.secret);
    expect((await api(`/${minimal.id}/disable`, { body: {} })).status).toBe(200);
    receiver.requests.length = 0;
    await bobLogsIn();
    await flush();
    expect(receiver.requests.filter((r) => r.url === '/sms')).toHaveLength(0);
  });

  it('operators manage subscriptions with the CLI too: refused input exits 2, the secret is printed once', async () => {
    const refused = await cli(t, 'webhook:create', '--name', 'x', '--url', `${receiver.url}/x`, '--event', 'no.such');
    expect({ code: refused.code, stderr: refused.stderr }).toEqual({
      code: 2,
      stderr: expect.stringContaining('unknown event types: no.such'),
    });
    const created = await cli(
      t,
      'webhook:create',
      '--name',
      'CLI feed',
      '--url',
      `${receiver.url}/cli`,
      '--event',
      'session.revoked',
    );
    expect(created.code).toBe(0);
    const printed = JSON.parse(created.stdout.trim());
    expect(printed).toMatchObject({
      subscription: { name: 'CLI feed', eventTypes: ['session.revoked'], createdBy: 'SYSTEM:cli' },
      secret: expect.stringMatching(/^whsec_/),
    });
    const listed = await cli(t, 'webhook:list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(printed.subscription.id);
    expect(listed.stdout).not.toContain(printed.secret);
  }, 120_000);
});
