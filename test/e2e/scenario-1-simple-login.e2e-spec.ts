import { startTestApp, useTestApp } from '../support/app';
import { startJourney, submitPassword } from '../support/journeys';
import {
  auditEvents,
  completeLogin,
  exchangeCode,
  introspect,
  postForm,
  registerStandardClients,
  SPA,
} from '../support/oauth';
import { Slapd, startSlapd } from '../support/slapd';

/**
 * Scenario 1 (SCENARIOS.md): a customer on a trusted network logs in with username and password against
 * a real LDAP server; risk says ALLOW; no second factor; the journey ends in tokens that work.
 */
describe('scenario 1: simple login against LDAP', () => {
  let slapd: Slapd;
  const env: Record<string, string> = {};
  beforeAll(async () => {
    slapd = await startSlapd();
    Object.assign(env, slapd.env);
  });
  afterAll(() => slapd.stop());
  const t = useTestApp({ env }, registerStandardClients);

  it('logs alice in: rows and audit events as the scenario lists them, and the tokens work at userinfo', async () => {
    const journey = await startJourney(t, { scope: 'openid profile email' });
    expect(journey.body).toEqual({
      journeyId: expect.any(String),
      status: 'PENDING',
      nextStep: { type: 'PASSWORD' },
      transactionToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      transactionExpiresAt: expect.any(String),
    });
    const response = await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password');
    expect(response.status).toBe(200);
    const done = await response.json();
    expect(done).toEqual({
      journeyId: journey.journeyId,
      status: 'COMPLETED',
      authorizationCode: expect.any(String),
      redirectTo: expect.any(String),
    });
    const redirect = new URL(done.redirectTo);
    expect(`${redirect.origin}${redirect.pathname}`).toBe(SPA.redirectUri);
    expect(redirect.searchParams.get('code')).toBe(done.authorizationCode);
    expect(redirect.searchParams.get('state')).toBe('state-xyz');
    expect(redirect.searchParams.get('iss')).toBe(t.config.oidc.issuer);

    const tokenResponse = await postForm(t, '/oauth2/token', {
      grant_type: 'authorization_code',
      code: done.authorizationCode,
      redirect_uri: SPA.redirectUri,
      code_verifier: journey.verifier,
      client_id: SPA.clientId,
    });
    expect(tokenResponse.status).toBe(200);
    const tokens = await tokenResponse.json();
    const userinfo = await fetch(`${t.baseUrl}/oauth2/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    // The claims come from the directory (here LDAP: cn, uid, mail), released by the granted scopes.
    expect(await userinfo.json()).toEqual({
      sub: 'CUPID-ALICE-0001',
      name: 'alice example',
      preferred_username: 'alice',
      email: 'alice@example.test',
    });

    const db = t.dataSource;
    expect(await db.query(`SELECT status, cupid FROM auth_contexts WHERE id = $1`, [journey.journeyId])).toEqual([
      { status: 'COMPLETED', cupid: 'CUPID-ALICE-0001' },
    ]);
    expect(
      await db.query(`SELECT step, status FROM auth_transactions WHERE context_id = $1`, [journey.journeyId]),
    ).toEqual([{ step: 'PASSWORD', status: 'CONSUMED' }]);
    expect(
      await db.query(`SELECT recommendation, provider FROM drs_evaluations WHERE context_id = $1`, [journey.journeyId]),
    ).toEqual([{ recommendation: 'ALLOW', provider: 'builtin' }]);
    const sessions = await db.query(`SELECT id, status, amr, acr FROM sessions WHERE context_id = $1`, [
      journey.journeyId,
    ]);
    expect(sessions).toEqual([{ id: expect.any(String), status: 'ACTIVE', amr: ['pwd'], acr: 'urn:ciam:loa:1' }]);
    const types = await db.query(`SELECT type FROM tokens WHERE session_id = $1 ORDER BY type`, [sessions[0].id]);
    expect(types.map((row: { type: string }) => row.type)).toEqual(['ACCESS', 'REFRESH', 'ID']);

    const events = (
      await t.dataSource.query(
        `SELECT event_type FROM audit_logs WHERE context_id = $1 OR session_id = $2 ORDER BY created_at`,
        [journey.journeyId, sessions[0].id],
      )
    ).map((row: { event_type: string }) => row.event_type);
    expect(events).toEqual([
      'journey.started',
      'credentials.verified',
      'risk.evaluated',
      'session.created',
      'authorization_code.issued',
      'journey.completed',
      'tokens.issued',
    ]);
  });

  it('answers a wrong password and an unknown username alike (401, no hint), counts it, and lets the customer retry', async () => {
    const journey = await startJourney(t);
    const wrong = await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'not-her-password');
    expect(wrong.status).toBe(401);
    const wrongBody = await wrong.json();
    expect(wrongBody).toMatchObject({
      type: 'urn:ciam:problem:invalid-credentials',
      status: 401,
      attemptsLeft: 4,
      transactionToken: expect.any(String),
    });

    const other = await startJourney(t);
    const unknown = await submitPassword(t, other.journeyId, other.transactionToken, 'nobody-here', 'whatever');
    const unknownBody = await unknown.json();
    expect(unknown.status).toBe(401);
    const comparable = (body: Record<string, unknown>) => ({
      ...body,
      transactionToken: 'x',
      transactionExpiresAt: 'x',
      instance: 'x',
      requestId: 'x',
    });
    expect(comparable(unknownBody)).toEqual(comparable(wrongBody));

    const [attempts] = await t.dataSource.query(
      `SELECT consecutive_failures FROM login_attempts WHERE subject = 'customer:CUPID-ALICE-0001'`,
    );
    expect(attempts.consecutive_failures).toBe(1);
    const [rejected] = await auditEvents(t, { type: 'credentials.rejected', cupid: 'CUPID-ALICE-0001' });
    expect(rejected).toMatchObject({ outcome: 'FAILURE', details: { reason: 'invalid', consecutiveFailures: 1 } });
    expect(JSON.stringify(rejected)).not.toContain('not-her-password');
    expect(
      (await t.dataSource.query(`SELECT status FROM auth_contexts WHERE id = $1`, [journey.journeyId]))[0].status,
    ).toBe('PENDING');

    const retry = await submitPassword(t, journey.journeyId, wrongBody.transactionToken, 'alice', 'alice-password');
    expect(retry.status).toBe(200);
    expect((await retry.json()).status).toBe('COMPLETED');
    const [cleared] = await t.dataSource.query(
      `SELECT consecutive_failures FROM login_attempts WHERE subject = 'customer:CUPID-ALICE-0001'`,
    );
    expect(cleared.consecutive_failures).toBe(0);
  });

  it('fails the journey after its attempts are used up', async () => {
    const journey = await startJourney(t);
    let token = journey.transactionToken;
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      const response = await submitPassword(t, journey.journeyId, token, 'nobody-attempts', 'wrong');
      expect(response.status).toBe(401);
      token = (await response.json()).transactionToken;
    }
    const last = await submitPassword(t, journey.journeyId, token, 'nobody-attempts', 'wrong');
    expect(last.status).toBe(403);
    expect((await last.json()).type).toBe('urn:ciam:problem:journey-failed');
    expect(
      (
        await t.dataSource.query(`SELECT status, failure_reason FROM auth_contexts WHERE id = $1`, [journey.journeyId])
      )[0],
    ).toEqual({ status: 'FAILED', failure_reason: 'too many failed PASSWORD attempts' });
  });

  it('rejects a replayed, a foreign, an expired and a made-up transaction token, and audits each', async () => {
    const journey = await startJourney(t);
    const first = await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password');
    expect(first.status).toBe(200);
    // The same token and body within JOURNEY_RETRY_WINDOW_SECONDS is a retry after a lost reply (test/reliability);
    // another body, or the same one after the window, is a replay.
    const otherBody = await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'wrong-password');
    expect(otherBody.status).toBe(400);
    expect(await otherBody.json()).toMatchObject({ type: 'urn:ciam:problem:transaction-invalid', status: 400 });
    t.clock.advance(t.config.journeys.retryWindowSeconds + 1);
    const replay = await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password');
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ type: 'urn:ciam:problem:transaction-invalid', status: 400 });
    t.clock.reset();

    const a = await startJourney(t);
    const b = await startJourney(t);
    expect((await submitPassword(t, b.journeyId, a.transactionToken, 'alice', 'alice-password')).status).toBe(400);
    expect((await submitPassword(t, a.journeyId, 'x'.repeat(43), 'alice', 'alice-password')).status).toBe(400);

    const late = await startJourney(t);
    t.clock.advance(301);
    expect((await submitPassword(t, late.journeyId, late.transactionToken, 'alice', 'alice-password')).status).toBe(
      400,
    );
    t.clock.reset();

    const reasons = (await auditEvents(t, { type: 'journey.transaction_rejected' })).map(
      (event) => event.details.reason,
    );
    expect(reasons).toEqual(expect.arrayContaining(['consumed', 'foreign', 'unknown', 'expired']));
    // The foreign token is still good for its own journey.
    expect((await submitPassword(t, a.journeyId, a.transactionToken, 'alice', 'alice-password')).status).toBe(200);
  });

  it('consumes a transaction token exactly once under 20 concurrent submissions', async () => {
    const journey = await startJourney(t);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password'),
      ),
    );
    const statuses = responses.map((response) => response.status);
    const bodies = await Promise.all(responses.map((response) => response.json()));
    // Those that arrive while the step runs are told it is in progress (409, retry shortly); those after it
    // get its answer again (a retry), never a second one.
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((status) => status !== 200 && status !== 409)).toEqual([]);
    expect(
      bodies
        .filter((_body, i) => statuses[i] === 409)
        .every((body) => body.type === 'urn:ciam:problem:step-in-progress'),
    ).toBe(true);
    expect(new Set(bodies.filter((body) => body.authorizationCode).map((body) => body.authorizationCode)).size).toBe(1);
    expect(
      await t.dataSource.query(`SELECT count(*)::int AS n FROM sessions WHERE context_id = $1`, [journey.journeyId]),
    ).toEqual([{ n: 1 }]);
  });

  it('refuses customers whose directory account is locked or disabled with the answer a wrong password gets; the audit trail says why', async () => {
    for (const [username, password, cupid, reason] of [
      ['carol', 'carol-password', 'CUPID-CAROL-0003', 'account_locked'],
      ['dave', 'dave-password', 'CUPID-DAVE-0004', 'account_disabled'],
    ]) {
      const journey = await startJourney(t);
      const response = await submitPassword(t, journey.journeyId, journey.transactionToken, username, password);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({
        type: 'urn:ciam:problem:invalid-credentials',
        attemptsLeft: 4,
        transactionToken: expect.any(String),
      });
      expect(
        (await t.dataSource.query(`SELECT status FROM auth_contexts WHERE id = $1`, [journey.journeyId]))[0].status,
      ).toBe('PENDING');
      const [rejected] = await auditEvents(t, { type: 'credentials.rejected', cupid });
      expect(rejected.details).toMatchObject({ reason, passwordMatched: true, knownCustomer: true });
    }
    expect(
      await t.dataSource.query(
        `SELECT count(*)::int AS n FROM sessions WHERE cupid IN ('CUPID-CAROL-0003', 'CUPID-DAVE-0004')`,
      ),
    ).toEqual([{ n: 0 }]);
  });

  it('validates the start request', async () => {
    const bad = await fetch(`${t.baseUrl}/journeys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        clientId: SPA.clientId,
        redirectUri: 'https://evil.example/cb',
        codeChallenge: 'x'.repeat(43),
        codeChallengeMethod: 'S256',
        scope: 'openid',
      }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).type).toBe('urn:ciam:problem:invalid-journey-request');
    const plain = await fetch(`${t.baseUrl}/journeys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        clientId: SPA.clientId,
        redirectUri: SPA.redirectUri,
        codeChallenge: 'abc',
        codeChallengeMethod: 'plain',
        scope: 'openid',
      }),
    });
    expect(plain.status).toBe(400);
    const fields = (await plain.json()).errors.map((error: { field: string }) => error.field).sort();
    expect(fields).toEqual(['codeChallenge', 'codeChallengeMethod']);
  });
});

describe('directory outage', () => {
  it('fails closed with 503, and the same transaction token works once the directory is back', async () => {
    const slapd = await startSlapd();
    const t = await startTestApp({ env: slapd.env });
    try {
      await registerStandardClients(t);
      const journey = await startJourney(t);
      await slapd.stop();
      const response = await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password');
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(await response.json()).toMatchObject({ type: 'urn:ciam:problem:dependency-unavailable' });
      expect(
        await t.dataSource.query(`SELECT status FROM auth_transactions WHERE context_id = $1`, [journey.journeyId]),
      ).toEqual([{ status: 'PENDING' }]);
      expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM login_attempts`)).toEqual([{ n: 0 }]);

      // The instance still serves everything but password steps: readiness reports the directory, and stays 200.
      const ready = await fetch(`${t.baseUrl}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        status: 'degraded',
        checks: { database: { status: 'up' }, directory: { status: 'degraded' } },
      });
    } finally {
      await slapd.stop();
      await t.close();
    }
  });

  it('keeps signed-in customers working, and userinfo says 503 when it needs claims from the directory', async () => {
    const slapd = await startSlapd();
    const t = await startTestApp({ env: slapd.env });
    try {
      await registerStandardClients(t);
      const login = await completeLogin(t, { cupid: 'CUPID-ALICE-0001', scope: 'openid profile' });
      const tokens = await (await exchangeCode(t, login)).json();
      await slapd.stop();
      expect(await introspect(t, tokens.access_token)).toMatchObject({ active: true });
      const userinfo = await fetch(`${t.baseUrl}/oauth2/userinfo`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      expect(userinfo.status).toBe(503);
      expect(userinfo.headers.get('retry-after')).toBe('5');
      expect((await userinfo.json()).error).toBe('temporarily_unavailable');
    } finally {
      await slapd.stop();
      await t.close();
    }
  });
});
