import { JobRunner } from '../../src/jobs/job-runner';
import { useTestApp } from '../support/app';
import { sendPush, sendSms, startJourney, submitPassword, verifySms } from '../support/journeys';
import { movedBy, scrapeMetrics } from '../support/metrics';
import { newDevice, newLoginFailures } from '../support/factories';
import { registerStandardClients } from '../support/oauth';
import { useDirectoryAndSmsGateway } from '../support/sms-gateway';
import { VendorServer } from '../support/vendor-server';

/**
 * Issue 19, item 4: the domain metrics an SRE watches move by exactly what a journey did. A real slapd, the real
 * `http` SMS adapter against a local gateway, and /metrics scraped over HTTP before and after.
 */
describe('domain metrics on /metrics', () => {
  const { gateway, env } = useDirectoryAndSmsGateway();
  const push = new VendorServer();
  beforeAll(async () => {
    await push.start();
    Object.assign(env, {
      PUSH_PROVIDER: 'http',
      PUSH_HTTP_URL: `${push.url}/push`,
      PUSH_PROMPTS_PER_CUSTOMER_15M: '100',
    });
  });
  afterAll(() => push.stop());
  const t = useTestApp({ env }, registerStandardClients);
  const lastCode = () => /(\d{6})/.exec(JSON.parse(gateway.requests.at(-1)!.body).text)![1];
  const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  it('a wrong password, then a password + SMS login with one wrong code, move each counter by its count', async () => {
    const before = await scrapeMetrics(t);

    const refused = await startJourney(t);
    expect(
      (await submitPassword(t, refused.journeyId, refused.transactionToken, 'alice', 'not-her-password')).status,
    ).toBe(401);

    const journey = await startJourney(t);
    const atMfa = await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password');
    expect(atMfa.status).toBe(200);
    const sent = await sendSms(t, journey.journeyId, (await atMfa.json()).transactionToken);
    expect(sent.status).toBe(200);
    const verifyToken = (await sent.json()).transactionToken;
    const code = lastCode();
    expect((await verifySms(t, journey.journeyId, verifyToken, wrongCode(code))).status).toBe(401);
    const done = await verifySms(t, journey.journeyId, verifyToken, code);
    expect(done.status).toBe(200);
    expect((await done.json()).status).toBe('COMPLETED');

    const after = await scrapeMetrics(t);
    expect(
      movedBy(before, after, [
        'ciam_journeys_started_total',
        'ciam_journeys_ended_total{outcome="completed"}',
        'ciam_journeys_ended_total{outcome="failed"}',
        'ciam_journey_steps_total{step="PASSWORD",outcome="INVALID_CREDENTIALS"}',
        'ciam_journey_steps_total{step="PASSWORD",outcome="PENDING"}',
        'ciam_journey_steps_total{step="SMS_OTP",outcome="PENDING"}',
        'ciam_journey_steps_total{step="SMS_OTP",outcome="OTP_INVALID"}',
        'ciam_journey_steps_total{step="SMS_OTP",outcome="COMPLETED"}',
        'ciam_password_checks_total{outcome="success"}',
        'ciam_password_checks_total{outcome="invalid"}',
        'ciam_factor_challenges_total{factor="sms"}',
        'ciam_factor_failures_total{factor="sms",reason="invalid"}',
        'ciam_message_sends_total{channel="sms",provider="http",outcome="sent"}',
        'ciam_message_sends_total{channel="sms",provider="http",outcome="failed"}',
        'ciam_dependency_request_duration_seconds_count{dependency="sms-http",operation="send",outcome="ok"}',
        'ciam_dependency_request_duration_seconds_count{dependency="ldap",operation="bind",outcome="rejected"}',
        'ciam_lockouts_total{kind="account"}',
      ]),
    ).toEqual({
      ciam_journeys_started_total: 2,
      'ciam_journeys_ended_total{outcome="completed"}': 1,
      'ciam_journeys_ended_total{outcome="failed"}': 0,
      'ciam_journey_steps_total{step="PASSWORD",outcome="INVALID_CREDENTIALS"}': 1,
      'ciam_journey_steps_total{step="PASSWORD",outcome="PENDING"}': 1,
      'ciam_journey_steps_total{step="SMS_OTP",outcome="PENDING"}': 1,
      'ciam_journey_steps_total{step="SMS_OTP",outcome="OTP_INVALID"}': 1,
      'ciam_journey_steps_total{step="SMS_OTP",outcome="COMPLETED"}': 1,
      'ciam_password_checks_total{outcome="success"}': 1,
      'ciam_password_checks_total{outcome="invalid"}': 1,
      'ciam_factor_challenges_total{factor="sms"}': 1,
      'ciam_factor_failures_total{factor="sms",reason="invalid"}': 1,
      'ciam_message_sends_total{channel="sms",provider="http",outcome="sent"}': 1,
      'ciam_message_sends_total{channel="sms",provider="http",outcome="failed"}': 0,
      'ciam_dependency_request_duration_seconds_count{dependency="sms-http",operation="send",outcome="ok"}': 1,
      // alice's wrong password: the one customer bind the directory refused.
      'ciam_dependency_request_duration_seconds_count{dependency="ldap",operation="bind",outcome="rejected"}': 1,
      'ciam_lockouts_total{kind="account"}': 0,
    });
    // Both password checks searched the directory, and the right password bound as the customer (the service
    // account binds once per connection, and connections are reused across logins: src/directory/ldap.directory.ts).
    const ldap = movedBy(before, after, [
      'ciam_dependency_request_duration_seconds_count{dependency="ldap",operation="search",outcome="ok"}',
      'ciam_dependency_request_duration_seconds_count{dependency="ldap",operation="bind",outcome="ok"}',
    ]);
    expect(Object.values(ldap)).toEqual([expect.any(Number), expect.any(Number)]);
    expect(
      ldap['ciam_dependency_request_duration_seconds_count{dependency="ldap",operation="search",outcome="ok"}'],
    ).toBeGreaterThanOrEqual(2);
    expect(
      ldap['ciam_dependency_request_duration_seconds_count{dependency="ldap",operation="bind",outcome="ok"}'],
    ).toBeGreaterThanOrEqual(1);
    expect(
      after.value('ciam_database_pool_acquire_seconds_count{outcome="ok"}') -
        before.value('ciam_database_pool_acquire_seconds_count{outcome="ok"}'),
    ).toBeGreaterThan(0);
  });

  it('counts a failed SMS send against its provider, and no challenge', async () => {
    const journey = await startJourney(t);
    const atMfa = await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password');
    const before = await scrapeMetrics(t);
    gateway.always({ kind: 'status', status: 503 });
    expect((await sendSms(t, journey.journeyId, (await atMfa.json()).transactionToken)).status).toBe(503);
    const after = await scrapeMetrics(t);
    expect(
      movedBy(before, after, [
        'ciam_message_sends_total{channel="sms",provider="http",outcome="failed"}',
        'ciam_factor_challenges_total{factor="sms"}',
        'ciam_journey_steps_total{step="SMS_OTP",outcome="SMS_NOT_SENT"}',
      ]),
    ).toEqual({
      'ciam_message_sends_total{channel="sms",provider="http",outcome="failed"}': 1,
      'ciam_factor_challenges_total{factor="sms"}': 0,
      'ciam_journey_steps_total{step="SMS_OTP",outcome="SMS_NOT_SENT"}': 1,
    });
    // Every attempt of the adapter (its retries) is one call that ended in an error.
    expect(
      after.value(
        'ciam_dependency_request_duration_seconds_count{dependency="sms-http",operation="send",outcome="error"}',
      ) -
        before.value(
          'ciam_dependency_request_duration_seconds_count{dependency="sms-http",operation="send",outcome="error"}',
        ),
    ).toBe(1 + t.config.sms.http.retries);
  });

  it('counts a lock engaged by a failed password as an account lockout', async () => {
    await newLoginFailures(t.dataSource, 'customer:CUPID-ALICE-0001', t.config.lockout.lockAfter - 1);
    t.clock.advance(3600); // past the throttling delay of the failures before
    const before = await scrapeMetrics(t);
    const journey = await startJourney(t);
    expect((await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'wrong-again')).status).toBe(
      401,
    );
    const after = await scrapeMetrics(t);
    expect(
      movedBy(before, after, ['ciam_lockouts_total{kind="account"}', 'ciam_password_checks_total{outcome="invalid"}']),
    ).toEqual({ 'ciam_lockouts_total{kind="account"}': 1, 'ciam_password_checks_total{outcome="invalid"}': 1 });
  });

  it('counts a push prompt as a challenge and each device message against the push provider', async () => {
    await newDevice(t.dataSource, { cupid: 'CUPID-BOB-0002', pushAddress: 'fcm-token-1', mfaAt: new Date() });
    await newDevice(t.dataSource, { cupid: 'CUPID-BOB-0002', pushAddress: 'fcm-token-2', mfaAt: new Date() });
    push.always({ kind: 'json', body: { name: 'projects/x/messages/1' } });
    const journey = await startJourney(t);
    const atMfa = await submitPassword(t, journey.journeyId, journey.transactionToken, 'bob', 'bob-password');
    const before = await scrapeMetrics(t);
    expect((await sendPush(t, journey.journeyId, (await atMfa.json()).transactionToken)).status).toBe(200);
    const after = await scrapeMetrics(t);
    expect(
      movedBy(before, after, [
        'ciam_factor_challenges_total{factor="push"}',
        'ciam_message_sends_total{channel="push",provider="http",outcome="sent"}',
        'ciam_dependency_request_duration_seconds_count{dependency="push-http",operation="send",outcome="ok"}',
      ]),
    ).toEqual({
      'ciam_factor_challenges_total{factor="push"}': 1,
      'ciam_message_sends_total{channel="push",provider="http",outcome="sent"}': 2,
      'ciam_dependency_request_duration_seconds_count{dependency="push-http",operation="send",outcome="ok"}': 2,
    });
  });

  it('reports job lag from job_runs once a job has succeeded', async () => {
    expect((await scrapeMetrics(t)).value('ciam_job_last_success_age_seconds{job="expire-transactions"}')).toBe(0);
    expect((await t.app.get(JobRunner).run('expire-transactions')).status).toBe('ran');
    t.clock.advance(90);
    const scrape = await scrapeMetrics(t);
    expect(scrape.samples.get('ciam_job_last_success_age_seconds{job="expire-transactions"}')).toBeGreaterThanOrEqual(
      90,
    );
    expect(scrape.samples.has('ciam_job_last_success_age_seconds{job="expire-sessions"}')).toBe(false);
  });

  it('labels nothing with a customer, a client or an address', async () => {
    const scrape = await scrapeMetrics(t);
    const everything = [...scrape.samples.keys()].join('\n');
    expect(everything).not.toMatch(/CUPID|test-spa|127\.0\.0\.1|bob|alice/);
  });
});
