import { useTestApp } from '../support/app';
import { startJourney, submitPassword } from '../support/journeys';
import { completeLogin, exchangeCode, refresh, registerStandardClients } from '../support/oauth';
import { Slapd, startSlapd } from '../support/slapd';

/**
 * A hung directory (slapd stopped with SIGSTOP: connections stay open, nothing answers) costs only the
 * password requests: they answer 503 once the LDAP timeout passes, holding no pooled connection
 * meanwhile, so journey starts and refreshes on the same instance go on; once the directory is back
 * the same transaction tokens work.
 */
describe('reliability: a hung directory costs only the password requests', () => {
  let slapd: Slapd;
  const env: Record<string, string> = {};
  const LDAP_CONNECT_TIMEOUT_MS = 500;
  const LDAP_TIMEOUT_MS = 2000;
  beforeAll(async () => {
    slapd = await startSlapd();
    // A refresh asks the directory at most hourly here, so the refresh below, whose session the directory
    // vouched for a moment before the hang, needs no directory (with 0 it would rightly fail closed).
    Object.assign(env, slapd.env, {
      DATABASE_POOL_SIZE: '3',
      LDAP_CONNECT_TIMEOUT_MS: String(LDAP_CONNECT_TIMEOUT_MS),
      LDAP_TIMEOUT_MS: String(LDAP_TIMEOUT_MS),
      REFRESH_DIRECTORY_CHECK_SECONDS: '3600',
    });
  });
  afterAll(async () => {
    process.kill(slapd.pid, 'SIGCONT');
    await slapd.stop();
  });
  const t = useTestApp({ env }, registerStandardClients);

  it('answers 503 within the LDAP timeout, serves other traffic meanwhile, and the same tokens work after', async () => {
    const journeys = await Promise.all(Array.from({ length: 6 }, () => startJourney(t)));
    const first = await (await exchangeCode(t, await completeLogin(t))).json();
    // The directory's answer for this session, taken while it still answers.
    const tokens = await (await refresh(t, first.refresh_token)).json();

    process.kill(slapd.pid, 'SIGSTOP');
    let passwordsSettled = 0;
    const began = Date.now();
    const passwords = journeys.map((journey) =>
      submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password').finally(() => {
        passwordsSettled += 1;
      }),
    );
    // Give the password requests time to claim their steps and reach the directory.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [started, refreshed] = await Promise.all([
      Promise.all(Array.from({ length: 3 }, () => startJourney(t))),
      refresh(t, tokens.refresh_token),
    ]);
    expect(passwordsSettled).toBe(0);
    expect(started.every((journey) => journey.body.status === 'PENDING')).toBe(true);
    expect(refreshed.status).toBe(200);

    const answers = await Promise.all(passwords);
    const elapsed = Date.now() - began;
    process.kill(slapd.pid, 'SIGCONT');
    expect(answers.map((answer) => answer.status)).toEqual(Array(6).fill(503));
    expect(answers.map((answer) => answer.headers.get('retry-after'))).toEqual(Array(6).fill('5'));
    expect(await answers[0].json()).toMatchObject({ type: 'urn:ciam:problem:dependency-unavailable', status: 503 });
    // Bounded by the directory's timeouts (connect + operation), with generous slack: not a benchmark.
    expect(elapsed).toBeLessThan(LDAP_CONNECT_TIMEOUT_MS + LDAP_TIMEOUT_MS + 2500);

    const ids = journeys.map((journey) => journey.journeyId);
    // Nothing was written for the customer; the tokens are pending again with no claim left on them.
    expect(
      await t.dataSource.query(`SELECT count(*)::int AS n FROM sessions WHERE context_id = ANY($1::uuid[])`, [ids]),
    ).toEqual([{ n: 0 }]);
    expect(
      await t.dataSource.query(
        `SELECT count(*)::int AS n FROM audit_logs WHERE context_id = ANY($1::uuid[]) AND event_type LIKE 'credentials.%'`,
        [ids],
      ),
    ).toEqual([{ n: 0 }]);
    expect(
      await t.dataSource.query(
        `SELECT status, claim_id FROM auth_transactions WHERE context_id = ANY($1::uuid[]) GROUP BY status, claim_id`,
        [ids],
      ),
    ).toEqual([{ status: 'PENDING', claim_id: null }]);

    const again = await Promise.all(
      journeys.map((journey) =>
        submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password'),
      ),
    );
    expect(again.map((answer) => answer.status)).toEqual(Array(6).fill(200));
    expect(
      await t.dataSource.query(`SELECT count(*)::int AS n FROM sessions WHERE context_id = ANY($1::uuid[])`, [ids]),
    ).toEqual([{ n: 6 }]);
  });
});
