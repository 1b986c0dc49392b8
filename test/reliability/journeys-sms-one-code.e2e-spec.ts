import { useTestApp } from '../support/app';
import { postJson, startJourney, submitPassword } from '../support/journeys';
import { registerStandardClients } from '../support/oauth';
import { useDirectoryAndSmsGateway } from '../support/sms-gateway';

/**
 * A slow but working SMS gateway (it answers after the adapter's timeout) must not end up with several
 * codes for one send: the adapter's retries and the client's retry with the same token resend the very
 * same code under the same idempotency key, and that code is the one the service checks.
 */
describe('reliability: one code per SMS send, whatever the retries', () => {
  const { gateway, env } = useDirectoryAndSmsGateway({
    SMS_TIMEOUT_MS: '300',
    SMS_HTTP_RETRIES: '2',
    OTP_RESEND_COOLDOWN_SECONDS: '0',
  });
  const t = useTestApp({ env }, registerStandardClients);
  beforeEach(() => {
    gateway.requests.length = 0;
    gateway.always({ kind: 'json', body: { id: 'msg-1' } });
  });

  async function bobAtMfa() {
    const journey = await startJourney(t);
    const response = await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password');
    expect(response.status).toBe(200);
    return { journeyId: journey.journeyId, token: (await response.json()).transactionToken as string };
  }
  const send = (journeyId: string, token: string, action = 'send') =>
    postJson(t, `/journeys/${journeyId}/sms-otp/${action}`, { transactionToken: token });
  const verify = (journeyId: string, token: string, code: string) =>
    postJson(t, `/journeys/${journeyId}/sms-otp`, { transactionToken: token, code });
  const codesSent = () => gateway.requests.map((request) => /(\d{6})/.exec(JSON.parse(request.body).text)![1]);

  it('a gateway slower than the timeout gets the same code and idempotency key on every post, and that code verifies', async () => {
    const { journeyId, token } = await bobAtMfa();
    // Three posts (one and two adapter retries) each answered after the timeout: the client hears 503.
    gateway.next(
      { kind: 'slow', ms: 600, body: { id: 'late-1' } },
      { kind: 'slow', ms: 600, body: { id: 'late-2' } },
      { kind: 'slow', ms: 600, body: { id: 'late-3' } },
    );
    const failed = await send(journeyId, token);
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('10');
    expect(await failed.json()).toMatchObject({ type: 'urn:ciam:problem:sms-not-sent' });
    expect(gateway.requests).toHaveLength(3);

    // The client retries with the same token; the gateway is back to normal.
    const sent = await send(journeyId, token);
    expect(sent.status).toBe(200);
    const verifyStep = await sent.json();
    expect(gateway.requests).toHaveLength(4);
    expect(new Set(codesSent()).size).toBe(1);
    expect(new Set(gateway.requests.map((request) => request.headers['idempotency-key'])).size).toBe(1);

    // The failed send counted nothing; the one that went through counts once.
    expect(
      await t.dataSource.query(`SELECT provider_message_id FROM sms_deliveries WHERE context_id = $1`, [journeyId]),
    ).toEqual([{ provider_message_id: 'msg-1' }]);
    const done = await verify(journeyId, verifyStep.transactionToken, codesSent()[0]);
    expect(done.status).toBe(200);
    expect((await done.json()).status).toBe('COMPLETED');

    const events = (
      await t.dataSource.query(
        `SELECT event_type FROM audit_logs WHERE context_id = $1 AND event_type LIKE 'mfa.%' ORDER BY created_at`,
        [journeyId],
      )
    ).map((row: { event_type: string }) => row.event_type);
    expect(events).toEqual(['mfa.sms_send_failed', 'mfa.sms_sent', 'mfa.otp_verified']);
    // The code is never at rest in the clear: the pending message is sealed under the token, then cleared.
    expect(
      await t.dataSource.query(
        `SELECT count(*)::int AS n FROM auth_transactions WHERE context_id = $1 AND pending_send IS NOT NULL`,
        [journeyId],
      ),
    ).toEqual([{ n: 0 }]);
  });

  it('a resend whose answer was lost still counts: the code the customer received is the one checked', async () => {
    const { journeyId, token } = await bobAtMfa();
    const verifyStep = await (await send(journeyId, token)).json();
    const firstCode = codesSent()[0];

    // The resend reaches the phone but every answer comes too late: the client hears 503.
    gateway.always({ kind: 'slow', ms: 600, body: { id: 'late' } });
    const lost = await send(journeyId, verifyStep.transactionToken, 'resend');
    expect(lost.status).toBe(503);
    const resentCode = codesSent().at(-1)!;
    expect(resentCode).not.toBe(firstCode);
    expect(new Set(codesSent().slice(1)).size).toBe(1);

    // The customer types the code on the phone: the newest one.
    const done = await verify(journeyId, verifyStep.transactionToken, resentCode);
    expect(done.status).toBe(200);
    expect((await done.json()).status).toBe('COMPLETED');
    const events = (
      await t.dataSource.query(
        `SELECT event_type FROM audit_logs WHERE context_id = $1 AND event_type LIKE 'mfa.%' ORDER BY created_at`,
        [journeyId],
      )
    ).map((row: { event_type: string }) => row.event_type);
    expect(events).toEqual(['mfa.sms_sent', 'mfa.sms_send_failed', 'mfa.otp_verified']);
  });
});
