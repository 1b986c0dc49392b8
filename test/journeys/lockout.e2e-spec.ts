import { startTestApp, TestApp } from '../support/app';
import { createTestDatabase, TestDatabase } from '../support/database';
import { startJourney, submitPassword } from '../support/journeys';
import { auditEvents, registerStandardClients } from '../support/oauth';

/** Brute-force protection lives in PostgreSQL, so every instance enforces the same lockout. */
describe('lockout across two instances on one database', () => {
  let database: TestDatabase;
  let one: TestApp;
  let two: TestApp;
  const env = {
    LOCKOUT_THROTTLE_AFTER: '3',
    LOCKOUT_LOCK_AFTER: '5',
    LOCKOUT_LOCK_SECONDS: '900',
    LOCKOUT_IP_FAILURE_LIMIT: '1000',
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    one = await startTestApp({ database, env });
    two = await startTestApp({ database, env });
    await registerStandardClients(one);
  });
  afterAll(async () => {
    await one.app.close();
    await two.app.close();
    await database.drop();
  });

  /** One wrong password on the given instance, in a journey of its own. */
  async function fail(t: TestApp, username: string) {
    const journey = await startJourney(t);
    return submitPassword(t, journey.journeyId, journey.transactionToken, username, 'wrong-password');
  }

  it('throttles, then locks an account for every instance, and a right password does not get through', async () => {
    expect((await fail(one, 'alice')).status).toBe(401);
    expect((await fail(two, 'alice')).status).toBe(401);
    expect((await fail(one, 'alice')).status).toBe(401); // the third failure starts the throttle
    const throttled = await fail(two, 'alice');
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    one.clock.advance(3);
    two.clock.advance(3);
    expect((await fail(two, 'alice')).status).toBe(401); // 4th failure
    one.clock.advance(5);
    two.clock.advance(5);
    expect((await fail(one, 'alice')).status).toBe(401); // 5th: locked for 15 minutes

    for (const t of [one, two]) {
      const journey = await startJourney(t);
      const response = await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password');
      expect(response.status).toBe(429);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(800);
    }
    const [row] = await one.dataSource.query(
      `SELECT consecutive_failures, locked_until > now() + interval '10 minutes' AS locked FROM login_attempts WHERE subject = 'customer:CUPID-ALICE-0001'`,
    );
    expect(row).toEqual({ consecutive_failures: 5, locked: true });
    expect((await auditEvents(one, { type: 'lockout.engaged' })).length).toBeGreaterThanOrEqual(2);

    // Once the lock has passed, the right password gets through to risk evaluation, which weighs the
    // failures just before it (and asks for a second factor rather than waving the login through).
    one.clock.advance(901);
    const journey = await startJourney(one);
    const after = await submitPassword(one, journey.journeyId, journey.transactionToken, 'alice', 'alice-password');
    expect(after.status).not.toBe(429);
    const [risk] = await one.dataSource.query(
      `SELECT recommendation, reasons FROM drs_evaluations WHERE context_id = $1`,
      [journey.journeyId],
    );
    expect(risk).toEqual({ recommendation: 'CHALLENGE', reasons: ['unknown_device', 'account_failure_burst'] });
  });

  it('locks an unknown username exactly like a real one', async () => {
    one.clock.reset();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await fail(i % 2 ? one : two, 'no-such-customer')).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('blocks an IP address after too many failures across accounts', async () => {
    const strict = await startTestApp({
      database,
      env: { LOCKOUT_IP_FAILURE_LIMIT: '3', LOCKOUT_THROTTLE_AFTER: '50', LOCKOUT_LOCK_AFTER: '60' },
    });
    try {
      await strict.dataSource.query(`DELETE FROM login_attempts`);
      for (const name of ['u1', 'u2', 'u3']) expect((await fail(strict, name)).status).toBe(401);
      // Refused before the directory is asked; the refusal, its audit and a fresh token commit together, and the
      // spent token cannot be replayed into another try (the locked address takes the engine's transactional way).
      const journey = await startJourney(strict);
      const locked = await submitPassword(strict, journey.journeyId, journey.transactionToken, 'u4', 'wrong-password');
      expect(locked.status).toBe(429);
      const body = (await locked.json()) as { transactionToken?: string };
      expect(body.transactionToken).toEqual(expect.any(String));
      expect(body.transactionToken).not.toBe(journey.transactionToken);
      const rejected = await auditEvents(strict, { contextId: journey.journeyId, type: 'credentials.rejected' });
      expect(rejected.map((event) => (event.details as { reason: string }).reason)).toEqual(['locked_out']);
      const again = await submitPassword(strict, journey.journeyId, journey.transactionToken, 'u4', 'other-password');
      expect(again.status).not.toBe(200);
      expect(await auditEvents(strict, { contextId: journey.journeyId, type: 'credentials.rejected' })).toHaveLength(1);
    } finally {
      await strict.app.close();
    }
  });
});
