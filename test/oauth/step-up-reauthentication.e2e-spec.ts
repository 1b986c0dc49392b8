import { useTestApp } from '../support/app';
import { ciamClient } from '../support/client';
import { newDevice } from '../support/factories';
import { sendSms, verifySms } from '../support/journeys';
import { auditEvents, completeLogin, exchangeCode, pkcePair, registerStandardClients, SPA } from '../support/oauth';
import { useDirectoryAndSmsGateway } from '../support/sms-gateway';

const ALICE = 'CUPID-ALICE-0001';

/**
 * Issue 17 item 5: a factor change under /me needs a recent sign-in. A loa2 session whose auth_time is older than
 * FACTOR_CHANGE_MAX_AGE_SECONDS is re-authenticated by POST /me/step-up: one second factor again (never the
 * password), whose pass renews auth_time; a factor that fails renews nothing. A real slapd (alice's phone) and the
 * real http SMS adapter against a local gateway.
 */
describe('re-authentication of a stale session (POST /me/step-up)', () => {
  const { gateway, env } = useDirectoryAndSmsGateway();
  const t = useTestApp({ env }, registerStandardClients);
  const lastCode = () => /(\d{6})/.exec(JSON.parse(gateway.requests.at(-1)!.body).text)![1];

  /** alice's access token for a loa2 session that authenticated `ageSeconds` ago (by the app's clock). */
  async function aliceAtLoa2(ageSeconds: number): Promise<{ token: string; sessionId: string; authTime: Date }> {
    const login = await completeLogin(t, { acr: 'urn:ciam:loa:2', amr: ['pwd', 'otp', 'sms'] });
    const tokens = (await (await exchangeCode(t, login)).json()) as { access_token: string };
    const authTime = new Date(t.clock.now().getTime() - ageSeconds * 1000);
    // Whole seconds: what the database keeps is compared below.
    authTime.setMilliseconds(0);
    await t.dataSource.query(`UPDATE sessions SET auth_time = $2 WHERE id = $1`, [login.sessionId, authTime]);
    return { token: tokens.access_token, sessionId: login.sessionId, authTime };
  }

  const stale = () => aliceAtLoa2(t.config.factorChange.maxAgeSeconds + 60);
  const removeDevice = (token: string, deviceId: string) =>
    fetch(`${t.baseUrl}/me/factors/device/${deviceId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
  const stepUp = (token: string, extra: { maxAge?: number } = {}) =>
    ciamClient(t, { authorization: `Bearer ${token}` }).POST('/me/step-up', {
      body: {
        redirectUri: SPA.redirectUri,
        codeChallenge: pkcePair().challenge,
        codeChallengeMethod: 'S256',
        ...extra,
      },
    });
  const sessionRow = async (id: string) =>
    (await t.dataSource.query(`SELECT acr, amr, auth_time, status FROM sessions WHERE id = $1`, [id]))[0] as {
      acr: string;
      amr: string[];
      auth_time: Date;
      status: string;
    };

  /** Starts the re-authentication and sends the SMS code: the journey asks no password. */
  async function reauthenticateWithSms(token: string) {
    const started = await stepUp(token);
    expect(started.response.status).toBe(201);
    const journey = started.data as { journeyId: string; transactionToken: string; nextStep: { type: string } };
    expect(journey).toMatchObject({ status: 'PENDING' });
    expect(journey.nextStep.type).not.toBe('PASSWORD');
    const sent = await sendSms(t, journey.journeyId, journey.transactionToken);
    expect(sent.status).toBe(200);
    return {
      journeyId: journey.journeyId,
      transactionToken: ((await sent.json()) as { transactionToken: string }).transactionToken,
    };
  }

  it('a stale loa2 session is refused a factor change, re-authenticates with an SMS code, and the change passes', async () => {
    const deviceId = await newDevice(t.dataSource, { cupid: ALICE, name: 'Old phone' });
    const { token, sessionId, authTime } = await stale();

    const refused = await removeDevice(token, deviceId);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ type: 'urn:ciam:problem:step-up-required' });

    const { journeyId, transactionToken } = await reauthenticateWithSms(token);
    const verified = await verifySms(t, journeyId, transactionToken, lastCode());
    expect(verified.status).toBe(200);
    expect(await verified.json()).toMatchObject({ status: 'COMPLETED', acr: 'urn:ciam:loa:2' });

    // The same session, renewed: auth_time is the step's, the level kept, no second session.
    const session = await sessionRow(sessionId);
    expect(session.status).toBe('ACTIVE');
    expect(session.acr).toBe('urn:ciam:loa:2');
    expect(session.amr).toEqual(['pwd', 'otp', 'sms']);
    expect(session.auth_time.getTime()).toBeGreaterThan(authTime.getTime());
    expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM sessions WHERE cupid = $1`, [ALICE])).toEqual([
      { n: 1 },
    ]);
    const [started] = await auditEvents(t, { contextId: journeyId, type: 'stepup.started' });
    expect(started.details).toMatchObject({ from: 'urn:ciam:loa:2', reauthenticate: true });
    const events = (await auditEvents(t, { contextId: journeyId })).map((event) => event.event_type);
    expect(events).toContain('stepup.completed');
    expect(events).not.toContain('credentials.verified');

    // The same access token now passes the freshness check.
    expect((await removeDevice(token, deviceId)).status).toBe(204);
  });

  it('a re-authentication whose factor fails leaves auth_time unchanged, and the change stays refused', async () => {
    const deviceId = await newDevice(t.dataSource, { cupid: ALICE, name: 'Old phone' });
    const { token, sessionId, authTime } = await stale();
    const { journeyId, transactionToken } = await reauthenticateWithSms(token);
    const code = lastCode();
    const wrong = await verifySms(t, journeyId, transactionToken, code === '000000' ? '111111' : '000000');
    expect(wrong.status).toBe(401);

    const session = await sessionRow(sessionId);
    expect(session.auth_time.getTime()).toBe(authTime.getTime());
    expect(session.acr).toBe('urn:ciam:loa:2');
    expect(await auditEvents(t, { contextId: journeyId, type: 'stepup.completed' })).toEqual([]);
    expect((await removeDevice(token, deviceId)).status).toBe(403);
    const [device] = await t.dataSource.query(`SELECT status FROM trusted_devices WHERE id = $1`, [deviceId]);
    expect(device.status).toBe('ACTIVE');
  });

  it('a fresh loa2 session needs nothing (400) unless the frontend asks for it with maxAge', async () => {
    const { token } = await aliceAtLoa2(10);
    const nothing = await stepUp(token);
    expect(nothing.response.status).toBe(400);
    // Younger than 60 s: still nothing to ask.
    expect((await stepUp(token, { maxAge: 60 })).response.status).toBe(400);
    // maxAge 0 always re-authenticates: a second factor is asked, never the password.
    const asked = await stepUp(token, { maxAge: 0 });
    expect(asked.response.status).toBe(201);
    expect(asked.data).toMatchObject({ status: 'PENDING' });
    expect((asked.data as { nextStep: { type: string } }).nextStep.type).not.toBe('PASSWORD');
    // A malformed maxAge is a problem, not a journey.
    const bad = await fetch(`${t.baseUrl}/me/step-up`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        redirectUri: SPA.redirectUri,
        codeChallenge: pkcePair().challenge,
        codeChallengeMethod: 'S256',
        maxAge: -1,
      }),
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
  });
});
