import { useTestApp } from '../support/app';
import { useBrowser } from '../support/browser';
import { TestDevice } from '../support/device';
import { newDevice } from '../support/factories';
import { postJson } from '../support/journeys';
import { useDirectoryAndSmsGateway } from '../support/sms-gateway';
import { VendorServer } from '../support/vendor-server';
import { lastSmsCode, LoginPage, useRelyingParty } from './login-support';

/**
 * Scenario 4 through the hosted login page: bob chooses push among his factors, the page shows the number
 * to match and waits (long-polling the journey); a simulated phone answers with its bound key. Approve
 * completes the sign-in at the relying party; deny ends it with a clear message; a spent push budget
 * falls back to the SMS code.
 */
describe('hosted login page: push approval', () => {
  // First, so that its afterAll closes the browser (and its connections) before the app stops, even after a failure.
  const browser = useBrowser();
  const push = new VendorServer();
  const { gateway, env } = useDirectoryAndSmsGateway({ PUSH_PROMPTS_PER_CUSTOMER_15M: '2' });
  beforeAll(async () => {
    await push.start();
    push.always({ kind: 'json', body: { name: 'projects/x/messages/1' } });
    Object.assign(env, { PUSH_PROVIDER: 'http', PUSH_HTTP_URL: `${push.url}/push` });
  });
  afterAll(() => push.stop());
  let phone: TestDevice;
  const t = useTestApp({ env }, async (app) => {
    phone = await TestDevice.create();
    await newDevice(app.dataSource, {
      cupid: 'CUPID-BOB-0002',
      name: 'Bob phone',
      platform: 'android',
      publicKeyJwk: phone.publicJwk,
      thumbprint: phone.thumbprint,
      pushAddress: 'fcm-token-bob-phone',
      mfaAt: new Date(),
    });
  });
  const rp = useRelyingParty(t);

  /** bob through his password to the push screen; returns the number shown and the challenge the phone got. */
  async function toPushScreen(scenario: string) {
    const context = await browser().newContext({ locale: 'en-GB' });
    const login = await LoginPage.open(context, scenario);
    const { url, outcome } = await rp.authorizationRequest();
    await login.page.goto(url);
    await login.heading('Sign in to CIAM');
    await login.password('bob', 'bob-password');
    await login.heading("Confirm it's you");
    await expect(login.page.getByRole('button', { name: 'Text a code to +44•••••002' }).isVisible()).resolves.toBe(
      true,
    );
    await login.shot('choose');
    const pushed = push.requests.length;
    await login.page.getByRole('button', { name: 'Approve on Bob phone' }).click();
    await login.heading('Approve on your device');
    expect(push.requests.length).toBe(pushed + 1);
    const number = Number(await login.page.locator('.number').textContent());
    const { pushChallengeId } = JSON.parse(push.requests.at(-1)!.body).message.data as { pushChallengeId: string };
    await login.shot('waiting');
    return { context, login, outcome, number, pushChallengeId };
  }

  /** The phone's answer, signed by its bound key, as the mobile app sends it. */
  const answer = async (pushChallengeId: string, decision: 'approve' | 'deny', number: number) =>
    postJson(t, `/devices/push-challenges/${pushChallengeId}/response`, {
      decision,
      number,
      signature: await phone.sign({ pushChallengeId, decision, number }),
    });

  it('scenario 4: the number is shown, the phone approves, and the waiting page completes the sign-in', async () => {
    const { context, login, outcome, number, pushChallengeId } = await toPushScreen('s4');
    expect(number).toBeGreaterThanOrEqual(0);
    await expect(login.page.getByRole('status').textContent()).resolves.toBe(
      `Waiting for your device. Number to match: ${number}.`,
    );
    expect((await answer(pushChallengeId, 'approve', number)).status).toBe(200);
    await login.backAt(rp);
    const { claims } = await outcome;
    expect(claims).toMatchObject({ sub: 'CUPID-BOB-0002', amr: ['pwd', 'swk', 'push'], acr: 'urn:ciam:loa:2' });
    expect(login.consoleErrors).toEqual([]);
    await context.close();
  });

  it('scenario 4: the phone denies; the page ends the sign-in with a clear message', async () => {
    const { context, login, number, pushChallengeId } = await toPushScreen('s4-denied');
    expect((await answer(pushChallengeId, 'deny', number)).status).toBe(200);
    await login.heading('This sign-in cannot continue');
    await expect(login.page.getByRole('alert').textContent()).resolves.toBe('The sign-in was denied on your device.');
    await login.shot('denied');
    await context.close();
  });

  it('push budget spent (2 prompts in 15 min here): the page falls back to the SMS code the same token can do', async () => {
    const context = await browser().newContext({ locale: 'en-GB' });
    const login = await LoginPage.open(context, 's4-limit');
    const { url, outcome } = await rp.authorizationRequest();
    await login.page.goto(url);
    await login.heading('Sign in to CIAM');
    await login.password('bob', 'bob-password');
    await login.heading("Confirm it's you");
    await login.page.getByRole('button', { name: 'Approve on Bob phone' }).click();
    await login.heading('Confirm with a text message');
    await expect(login.page.getByRole('alert').textContent()).resolves.toMatch(
      /^No more requests can be sent to your device now\. Choose another way\. Try again in \d+ (minutes|seconds)\.$/,
    );
    await login.shot('push-limit');
    await login.page.getByRole('button', { name: 'Send code' }).click();
    await login.heading('Enter the code');
    await login.page.getByLabel('Code', { exact: true }).fill(lastSmsCode(gateway.requests));
    await login.page.getByRole('button', { name: 'Confirm' }).click();
    await login.backAt(rp);
    expect((await outcome).claims).toMatchObject({ amr: ['pwd', 'otp', 'sms'] });
    await context.close();
  });
});
