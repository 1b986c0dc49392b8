import { useTestApp } from '../support/app';
import { TestDevice } from '../support/device';
import { newDevice } from '../support/factories';
import { postJson, startJourney, submitPassword } from '../support/journeys';
import { registerStandardClients } from '../support/oauth';
import { useDirectoryAndSmsGateway } from '../support/sms-gateway';

/**
 * The device hints a browser gives with its password (`device` on the password step), for journeys that
 * /oauth2/authorize opened knowing nothing of the device: recorded only once the password is right, never
 * over what the start said, and binding still needs a second factor.
 */
const lastSmsCode = (requests: Array<{ body: string }>) =>
  /(\d{6})/.exec((JSON.parse(requests.at(-1)!.body) as { text: string }).text)![1];

describe('password step: device hints from the login page', () => {
  const { gateway, env } = useDirectoryAndSmsGateway();
  const t = useTestApp({ env }, registerStandardClients);
  const contextRow = async (journeyId: string) =>
    (
      await t.dataSource.query(
        `SELECT device_id, bind_device, device_key_thumbprint FROM auth_contexts WHERE id = $1`,
        [journeyId],
      )
    )[0];
  const password = (journeyId: string, token: string, pass: string, device: Record<string, unknown>) =>
    postJson(t, `/journeys/${journeyId}/password`, {
      transactionToken: token,
      username: 'bob',
      password: pass,
      device,
    });

  it('records nothing on a wrong password; on the right one, the wish to bind leads through MFA to DEVICE_BIND', async () => {
    const journey = await startJourney(t, { device: undefined });
    const wrong = await password(journey.journeyId, journey.transactionToken, 'nope', { bind: true });
    expect(wrong.status).toBe(401);
    expect(await contextRow(journey.journeyId)).toEqual({
      device_id: null,
      bind_device: false,
      device_key_thumbprint: null,
    });

    const { transactionToken } = (await wrong.json()) as { transactionToken: string };
    const right = await password(journey.journeyId, transactionToken, 'bob-password', {
      bind: true,
      deviceId: 'browser-1',
    });
    expect(right.status).toBe(200);
    expect(await contextRow(journey.journeyId)).toEqual({
      device_id: 'browser-1',
      bind_device: true,
      device_key_thumbprint: null,
    });
    const mfa = await right.json();
    const sent = await (
      await postJson(t, `/journeys/${journey.journeyId}/sms-otp/send`, { transactionToken: mfa.transactionToken })
    ).json();
    const verified = await postJson(t, `/journeys/${journey.journeyId}/sms-otp`, {
      transactionToken: sent.transactionToken,
      code: lastSmsCode(gateway.requests),
    });
    expect(await verified.json()).toMatchObject({ status: 'PENDING', nextStep: { type: 'DEVICE_BIND' } });
  });

  it('a bound key named with the password is asked to prove itself; the start’s own device data is never overwritten', async () => {
    const laptop = await TestDevice.create();
    await newDevice(t.dataSource, {
      cupid: 'CUPID-BOB-0002',
      publicKeyJwk: laptop.publicJwk,
      thumbprint: laptop.thumbprint,
      mfaAt: new Date(),
    });
    const hinted = await startJourney(t, { device: undefined });
    const proof = await password(hinted.journeyId, hinted.transactionToken, 'bob-password', {
      keyThumbprint: laptop.thumbprint,
    });
    expect(await proof.json()).toMatchObject({ nextStep: { type: 'DEVICE_PROOF', challenge: expect.any(String) } });

    const other = await TestDevice.create();
    const started = await startJourney(t, { device: { deviceId: 'app-7', keyThumbprint: other.thumbprint } });
    const response = await password(started.journeyId, started.transactionToken, 'bob-password', {
      deviceId: 'someone-else',
      keyThumbprint: laptop.thumbprint,
    });
    expect(response.status).toBe(200);
    expect(await contextRow(started.journeyId)).toEqual({
      device_id: 'app-7',
      bind_device: false,
      device_key_thumbprint: other.thumbprint,
    });
    // The start's key is not bound, so no proof is offered: the hint did not sneak its key in.
    expect((await response.json()).nextStep.type).toBe('SMS_OTP');
  });

  it('refuses a malformed hint with 400 (validation), spending nothing', async () => {
    const journey = await startJourney(t, { device: undefined });
    const response = await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password', {});
    expect(response.status).toBe(200); // no hint at all is fine
    const again = await startJourney(t, { device: undefined });
    const malformed = await password(again.journeyId, again.transactionToken, 'bob-password', {
      keyThumbprint: 'short',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toContain('application/problem+json');
    const retry = await password(again.journeyId, again.transactionToken, 'bob-password', {});
    expect(retry.status).toBe(200);
  });
});
