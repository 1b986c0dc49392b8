import { loadConfig } from '../../src/config/config';
import { HttpSmsSender } from '../../src/mfa/sms/http.sms-sender';
import { SmsDeliveryError } from '../../src/mfa/sms/sms-sender.port';
import { TwilioSmsSender } from '../../src/mfa/sms/twilio.sms-sender';
import { useTestApp } from '../support/app';
import { postJson, startJourney, submitPassword } from '../support/journeys';
import { registerStandardClients } from '../support/oauth';
import { VendorServer } from '../support/vendor-server';

const message = { to: '+447700900002', text: 'Your sign-in code is 123456.', reference: 'ref-1' };

describe('SMS adapters over real HTTP', () => {
  const server = new VendorServer();
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  describe('twilio', () => {
    const sid = `AC${'0'.repeat(32)}`;
    const sender = () =>
      new TwilioSmsSender(
        loadConfig({
          NODE_ENV: 'test',
          SMS_PROVIDER: 'twilio',
          TWILIO_BASE_URL: server.url,
          TWILIO_ACCOUNT_SID: sid,
          TWILIO_AUTH_TOKEN: 'twilio-token',
          TWILIO_FROM: '+15005550006',
          SMS_TIMEOUT_MS: '300',
        }).sms,
      );

    it('posts the Messages API form with basic auth and returns the message SID', async () => {
      server.next({ kind: 'json', status: 201, body: { sid: 'SM123', status: 'queued' } });
      expect(await sender().send(message)).toEqual({ providerMessageId: 'SM123' });
      const request = server.requests.at(-1)!;
      expect(request.url).toBe(`/2010-04-01/Accounts/${sid}/Messages.json`);
      expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(request.headers.authorization).toBe(`Basic ${Buffer.from(`${sid}:twilio-token`).toString('base64')}`);
      expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
        To: '+447700900002',
        From: '+15005550006',
        Body: message.text,
      });
    });

    it("reports a refusal (4xx with Twilio's error code) and does not retry a 5xx (Twilio does not deduplicate)", async () => {
      server.next({ kind: 'json', status: 400, body: { code: 21211, message: 'Invalid To number' } });
      await expect(sender().send(message)).rejects.toThrow(/HTTP 400 \(Twilio error 21211\)/);
      const before = server.requests.length;
      server.next({ kind: 'status', status: 500 });
      await expect(sender().send(message)).rejects.toBeInstanceOf(SmsDeliveryError);
      expect(server.requests.length - before).toBe(1);
    });
  });

  describe('http webhook', () => {
    const sender = (retries = '2') =>
      new HttpSmsSender(
        loadConfig({
          NODE_ENV: 'test',
          SMS_PROVIDER: 'http',
          SMS_HTTP_URL: `${server.url}/send`,
          SMS_HTTP_AUTH_HEADER: 'X-Api-Key: k-1',
          SMS_TIMEOUT_MS: '200',
          SMS_HTTP_RETRIES: retries,
        }).sms,
      );

    it('retries a timeout and a 5xx with the same idempotency key, then succeeds', async () => {
      const before = server.requests.length;
      server.next(
        { kind: 'slow', ms: 500, body: {} },
        { kind: 'status', status: 503 },
        { kind: 'json', body: { id: 'gw-9' } },
      );
      expect(await sender().send(message)).toEqual({ providerMessageId: 'gw-9' });
      const attempts = server.requests.slice(before);
      expect(attempts).toHaveLength(3);
      expect(new Set(attempts.map((request) => request.headers['idempotency-key']))).toEqual(new Set(['ref-1']));
      expect(attempts[0].headers['x-api-key']).toBe('k-1');
    });

    it('never retries a 4xx', async () => {
      const before = server.requests.length;
      server.next({ kind: 'json', status: 422, body: { error: 'bad number' } });
      await expect(sender().send(message)).rejects.toThrow(/HTTP 422/);
      expect(server.requests.length - before).toBe(1);
    });
  });
});

describe('the development SMS outbox (SMS_PROVIDER=log)', () => {
  const t = useTestApp({}, registerStandardClients);

  it('keeps the message for the developer at /dev/sms-outbox and logs no code', async () => {
    const journey = await startJourney(t);
    const mfa = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password')
    ).json();
    expect(
      (await postJson(t, `/journeys/${journey.journeyId}/sms-otp/send`, { transactionToken: mfa.transactionToken }))
        .status,
    ).toBe(200);
    const outbox = await (await fetch(`${t.baseUrl}/dev/sms-outbox`)).json();
    expect(outbox[0]).toMatchObject({
      to: '+447700900002',
      text: expect.stringMatching(/Your sign-in code is \d{6}\./),
    });
    const code = /(\d{6})/.exec(outbox[0].text)![1];
    expect(t.rawLogs()).toContain('queued in the development outbox');
    expect(t.rawLogs()).not.toContain(code);
  });
});
