import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import { useTestApp } from '../support/app';
import { ciamClient } from '../support/client';
import { TestDevice } from '../support/device';
import { answerPush, journeyStep, submitPassword } from '../support/journeys';
import { auditEvents, pkcePair, registerStandardClients, SPA } from '../support/oauth';
import { useDirectoryAndSmsGateway } from '../support/sms-gateway';
import { VendorServer } from '../support/vendor-server';
import { DevicesRepository } from '../../src/devices/devices.repository';

/**
 * Issue 15 item 3 over the headless REST API: a payment app steps the customer's session up before a payment.
 * The transaction (amount, currency, payee) is shown on the push prompt, the device signs its hash (dynamic
 * linking), the same session reaches loa3, and the answer and the audit carry the hash. An approval signed for
 * another amount does not count. A real slapd, the real http push adapter against a local gateway.
 */
describe('step-up of a live session for a payment (POST /me/step-up)', () => {
  const push = new VendorServer();
  const { env } = useDirectoryAndSmsGateway({ LOGIN_UI_URL: 'http://localhost:5173/login' });
  beforeAll(async () => {
    await push.start();
    push.always({ kind: 'json', body: { name: 'projects/x/messages/1' } });
    Object.assign(env, { PUSH_PROVIDER: 'http', PUSH_HTTP_URL: `${push.url}/push` });
  });
  afterAll(() => push.stop());
  const t = useTestApp({ env }, registerStandardClients);
  const payment = { amount: '125.00', currency: 'EUR', payee: 'ACME Energy Ltd' };
  const hashOf = (details: typeof payment) =>
    createHash('sha256')
      .update(JSON.stringify([details.amount, details.currency, details.payee]))
      .digest('base64url');

  /** alice signs in with her password (loa1) through /oauth2/authorize, and her phone is bound (after MFA). */
  async function aliceWithPhone() {
    const config = await oidc.discovery(new URL(t.config.oidc.issuer), SPA.clientId, undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: SPA.redirectUri,
      scope: 'openid profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 's',
    });
    const login = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
    const fragment = new URLSearchParams(login.hash.slice(1));
    const journeyId = fragment.get('journey')!;
    const answer = await submitPassword(t, journeyId, fragment.get('transaction_token')!, 'alice', 'alice-password');
    const tokens = await oidc.authorizationCodeGrant(config, new URL((await answer.json()).redirectTo), {
      pkceCodeVerifier: verifier,
      expectedState: 's',
    });
    const phone = await TestDevice.create();
    // The binding itself is the devices spec's (scenario 4-5-8); here the phone is simply bound after MFA.
    await t.app.get(DevicesRepository).insert(t.dataSource.manager, {
      cupid: 'CUPID-ALICE-0001',
      publicKeyJwk: phone.publicJwk,
      thumbprint: phone.thumbprint,
      name: 'Alice phone',
      platform: 'ios',
      pushAddress: 'fcm-token-alice-phone',
      contextId: journeyId,
      at: new Date(),
      mfaAt: new Date(),
    });
    return { config, tokens, phone, sid: tokens.claims()!.sid as string };
  }

  /** The payment app asks for a step-up with the payment; the journey offers the push alone (it signs the payment). */
  async function stepUpToPush(accessToken: string) {
    const pkce = pkcePair();
    const { data, response } = await ciamClient(t, { authorization: `Bearer ${accessToken}` }).POST('/me/step-up', {
      body: {
        redirectUri: SPA.redirectUri,
        codeChallenge: pkce.challenge,
        codeChallengeMethod: 'S256',
        state: 'pay-1',
        transaction: payment,
      },
    });
    expect(response.status).toBe(201);
    expect(data).toMatchObject({ status: 'PENDING', nextStep: { type: 'PUSH', options: [{ type: 'PUSH' }] } });
    const started = data as { journeyId: string; transactionToken: string };
    const sent = await journeyStep(t, started.journeyId, 'push/send', { transactionToken: started.transactionToken });
    expect(sent.status).toBe(200);
    const waiting = await sent.json();
    const delivered = JSON.parse(push.requests.at(-1)!.body).message.data;
    return { journeyId: started.journeyId, waiting, delivered, pkce };
  }

  it('shows the payment on the push, binds its hash, and raises the same session to loa3 without a password', async () => {
    const { config, tokens, phone, sid } = await aliceWithPhone();
    const { journeyId, waiting, delivered, pkce } = await stepUpToPush(tokens.access_token);
    expect(delivered).toMatchObject({
      type: 'transaction-approval',
      transaction: { ...payment, hash: hashOf(payment) },
    });

    const poll = journeyStep(t, journeyId, 'push', { transactionToken: waiting.transactionToken, waitSeconds: 10 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const body = { decision: 'approve' as const, number: waiting.nextStep.number as number };
    const approved = await answerPush(t, delivered.pushChallengeId, {
      ...body,
      signature: await phone.sign({
        pushChallengeId: delivered.pushChallengeId,
        ...body,
        transactionHash: hashOf(payment),
      }),
    });
    expect(approved.status).toBe(200);
    const done = await (await poll).json();
    expect(done).toMatchObject({
      status: 'COMPLETED',
      acr: 'urn:ciam:loa:3',
      amr: ['pwd', 'swk', 'push'],
      transactionHash: hashOf(payment),
    });

    const raised = await oidc.authorizationCodeGrant(config, new URL(done.redirectTo), {
      pkceCodeVerifier: pkce.verifier,
      expectedState: 'pay-1',
    });
    expect(raised.claims()).toMatchObject({ sid, acr: 'urn:ciam:loa:3', amr: ['pwd', 'swk', 'push'] });
    const sessions = await t.dataSource.query(`SELECT id, acr FROM sessions WHERE cupid = 'CUPID-ALICE-0001'`);
    expect(sessions).toEqual([{ id: sid, acr: 'urn:ciam:loa:3' }]);
    const [completed] = await auditEvents(t, { contextId: journeyId, type: 'stepup.completed' });
    expect(completed.details).toMatchObject({
      from: 'urn:ciam:loa:1',
      to: 'urn:ciam:loa:3',
      transactionSha256: hashOf(payment),
    });
    const events = (await auditEvents(t, { contextId: journeyId })).map((event) => event.event_type);
    expect(events).not.toContain('credentials.verified');
  });

  it('an approval signed for another amount does not count: the push is rejected and the session stays as it was', async () => {
    const { tokens, phone, sid } = await aliceWithPhone();
    const { waiting, delivered } = await stepUpToPush(tokens.access_token);
    const body = { decision: 'approve' as const, number: waiting.nextStep.number as number };
    const changed = await answerPush(t, delivered.pushChallengeId, {
      ...body,
      signature: await phone.sign({
        pushChallengeId: delivered.pushChallengeId,
        ...body,
        transactionHash: hashOf({ ...payment, amount: '9125.00' }),
      }),
    });
    expect(changed.status).toBe(401);
    const [session] = await t.dataSource.query(`SELECT acr, amr FROM sessions WHERE id = $1`, [sid]);
    expect(session).toEqual({ acr: 'urn:ciam:loa:1', amr: ['pwd'] });
  });

  it('refuses a step-up without a live token, and bad transaction details with a problem', async () => {
    const anonymous = await ciamClient(t).POST('/me/step-up', {
      body: { redirectUri: SPA.redirectUri, codeChallenge: pkcePair().challenge, codeChallengeMethod: 'S256' },
    });
    expect(anonymous.response.status).toBe(401);
    const { tokens } = await aliceWithPhone();
    const bad = await fetch(`${t.baseUrl}/me/step-up`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.access_token}` },
      body: JSON.stringify({
        redirectUri: SPA.redirectUri,
        codeChallenge: pkcePair().challenge,
        codeChallengeMethod: 'S256',
        transaction: { amount: '1e9', currency: 'euro', payee: '' },
      }),
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    // A step-up that would ask nothing (loa1 for a loa1 session) is refused: auth_time is never renewed for free.
    const stepUps = () => t.dataSource.query(`SELECT count(*)::int AS n FROM auth_contexts WHERE options ? 'stepUp'`);
    const before = await stepUps();
    const nothing = await ciamClient(t, { authorization: `Bearer ${tokens.access_token}` }).POST('/me/step-up', {
      body: {
        redirectUri: SPA.redirectUri,
        codeChallenge: pkcePair().challenge,
        codeChallengeMethod: 'S256',
        acr: 'urn:ciam:loa:1',
      },
    });
    expect(nothing.response.status).toBe(400);
    expect(await stepUps()).toEqual(before);
  });
});
