import type { TestApp } from '../support/app';
import { useTestApp } from '../support/app';
import { startJourney, submitPassword } from '../support/journeys';
import { auditEvents, registerStandardClients } from '../support/oauth';
import { Slapd, startSlapd } from '../support/slapd';

/**
 * OWASP ASVS 5.0 V6.3 (general authentication security) and NIST SP 800-63B §5.2.2: one failure counter
 * per account whatever the spelling of its username (ASVS 6.3.1, anti-automation per account), and no
 * answer that tells whether a password was right for an account that cannot sign in (ASVS 6.3.8, no
 * account-state enumeration). Against a real slapd (whose caseIgnoreMatch folds case, full-width and
 * mathematical letters and the dotted capital İ) and against the file directory.
 */

const LOCK_AFTER = 5;
const env = {
  LOCKOUT_THROTTLE_AFTER: '50',
  LOCKOUT_LOCK_AFTER: String(LOCK_AFTER),
  LOCKOUT_LOCK_SECONDS: '900',
  LOCKOUT_IP_FAILURE_LIMIT: '10000',
};

/** One password attempt in a journey of its own (a journey allows only a few). */
async function attempt(t: TestApp, username: string, password: string) {
  const journey = await startJourney(t);
  const response = await submitPassword(t, journey.journeyId, journey.transactionToken, username, password);
  return { status: response.status, body: await response.json(), retryAfter: response.headers.get('retry-after') };
}

/** What is left of a refusal once the per-request values are taken out: what a caller could compare. */
const comparable = (body: Record<string, unknown>) => ({
  ...body,
  transactionToken: 'x',
  transactionExpiresAt: 'x',
  instance: 'x',
  requestId: 'x',
});

const accountRows = (t: TestApp) =>
  t.dataSource.query(
    `SELECT subject, consecutive_failures FROM login_attempts WHERE subject NOT LIKE 'ip:%' ORDER BY subject`,
  ) as Promise<Array<{ subject: string; consecutive_failures: number }>>;

// The spellings of "alice" that OpenLDAP's caseIgnoreMatch on uid folds together.
const ALICE_SPELLINGS: Array<[string, string]> = [
  ['upper case', 'ALICE'],
  ['full-width letters', 'ａｌｉｃｅ'],
  ['mathematical bold letters', '𝐚𝐥𝐢𝐜𝐞'],
  ['a dotted capital İ', 'ALİCE'],
  ['mixed case', 'aLiCe'],
];

describe('ASVS V6.3 / NIST 800-63B 5.2.2: lockout per account against a real slapd', () => {
  let slapd: Slapd;
  const ldapEnv: Record<string, string> = { ...env };
  beforeAll(async () => {
    slapd = await startSlapd();
    Object.assign(ldapEnv, slapd.env);
  });
  afterAll(() => slapd.stop());
  const t = useTestApp({ env: ldapEnv }, registerStandardClients);
  beforeEach(() => t.dataSource.query(`DELETE FROM login_attempts`));

  it.each(ALICE_SPELLINGS)(
    '%s: the directory resolves it to alice, so it signs in as her and counts on her one counter',
    async (_name, spelling) => {
      expect((await attempt(t, spelling, 'wrong-password')).status).toBe(401);
      expect(await accountRows(t)).toEqual([{ subject: 'customer:CUPID-ALICE-0001', consecutive_failures: 1 }]);
      const right = await attempt(t, spelling, 'alice-password');
      expect(right.status).toBe(200);
      expect(await accountRows(t)).toEqual([{ subject: 'customer:CUPID-ALICE-0001', consecutive_failures: 0 }]);
    },
  );

  it('failures under every spelling add up on one counter and lock the account for every spelling', async () => {
    const spellings = ['alice', ...ALICE_SPELLINGS.map(([, spelling]) => spelling)].slice(0, LOCK_AFTER);
    for (const spelling of spellings) expect((await attempt(t, spelling, 'wrong-password')).status).toBe(401);
    expect(await accountRows(t)).toEqual([{ subject: 'customer:CUPID-ALICE-0001', consecutive_failures: LOCK_AFTER }]);
    for (const spelling of ['alice', ...ALICE_SPELLINGS.map(([, s]) => s)]) {
      const right = await attempt(t, spelling, 'alice-password');
      expect(right.status).toBe(429);
      expect(Number(right.retryAfter)).toBeGreaterThan(800);
    }
    const [engaged] = await auditEvents(t, { type: 'lockout.engaged', cupid: 'CUPID-ALICE-0001' });
    expect(engaged.details).toMatchObject({ subject: 'account', failures: LOCK_AFTER });
    // The audit trail knows the locked-out attempts had the right password; the caller was not told.
    const lockedOut = (await auditEvents(t, { type: 'credentials.rejected', cupid: 'CUPID-ALICE-0001' })).filter(
      (event) => event.details.reason === 'locked_out',
    );
    expect(lockedOut).toHaveLength(6);
    expect(lockedOut.every((event) => event.details.passwordMatched === true)).toBe(true);
  });

  it('a dotless ı is not folded by the directory: that spelling never reaches alice, not even with her password', async () => {
    const sessions = () =>
      t.dataSource.query(`SELECT count(*)::int AS n FROM sessions WHERE cupid = 'CUPID-ALICE-0001'`);
    const before = await sessions();
    const dotless = await attempt(t, 'alıce', 'alice-password');
    expect(dotless.status).toBe(401);
    expect(await sessions()).toEqual(before);
    // Counted as an unknown username under its folded form, not on alice's counter (which it cannot unlock or reset).
    expect(await accountRows(t)).toEqual([{ subject: 'account:alice', consecutive_failures: 1 }]);
  });

  it('an unknown username locks like a real one, whatever its spelling', async () => {
    const spellings = ['ghost', 'GHOST', 'ｇｈｏｓｔ', '𝐠𝐡𝐨𝐬𝐭', 'Ghost'];
    const statuses = [];
    for (const spelling of spellings) statuses.push((await attempt(t, spelling, 'whatever')).status);
    statuses.push((await attempt(t, 'GhOsT', 'whatever')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect(await accountRows(t)).toEqual([{ subject: 'account:ghost', consecutive_failures: LOCK_AFTER }]);
  });

  it('a username no directory can hold (a zero-width space) is refused like a wrong password, and counted on a counter of its own', async () => {
    const zeroWidth = await attempt(t, 'ali\u200bce', 'alice-password');
    const wrong = await attempt(t, 'alice', 'not-her-password');
    expect(zeroWidth.status).toBe(401);
    expect(comparable(zeroWidth.body)).toEqual(comparable(wrong.body));
    const rows = await accountRows(t);
    expect(rows).toHaveLength(2);
    expect(rows.find((row) => row.subject.startsWith('account:#'))).toMatchObject({ consecutive_failures: 1 });
  });

  it.each([
    ['locked', 'carol', 'carol-password', 'CUPID-CAROL-0003', 'account_locked'],
    ['disabled', 'dave', 'dave-password', 'CUPID-DAVE-0004', 'account_disabled'],
  ])(
    'a %s entry: the right password answers exactly like a wrong one, counts the same, and the audit trail keeps the truth',
    async (_state, username, password, cupid, reason) => {
      const right = await attempt(t, username, password);
      const wrong = await attempt(t, username, 'not-the-password');
      const stranger = await attempt(t, 'alice', 'not-her-password');
      expect([right.status, wrong.status]).toEqual([401, 401]);
      expect(comparable(right.body)).toEqual(comparable(wrong.body));
      expect(comparable(right.body)).toEqual(comparable(stranger.body));
      expect(await accountRows(t)).toEqual([
        { subject: 'customer:CUPID-ALICE-0001', consecutive_failures: 1 },
        { subject: `customer:${cupid}`, consecutive_failures: 2 },
      ]);
      const events = await auditEvents(t, { type: 'credentials.rejected', cupid });
      expect(events.map((event) => event.details)).toEqual([
        expect.objectContaining({ reason, passwordMatched: true, knownCustomer: true }),
        expect.objectContaining({ reason: 'invalid', passwordMatched: false, knownCustomer: true }),
      ]);
      expect(JSON.stringify(events)).not.toContain(password);
      expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM sessions WHERE cupid = $1`, [cupid])).toEqual([
        { n: 0 },
      ]);
    },
  );

  it('right passwords on a locked entry lock it like wrong ones do: the lockout cannot tell them apart either', async () => {
    const statuses = [];
    for (let i = 0; i <= LOCK_AFTER; i += 1)
      statuses.push((await attempt(t, i % 2 ? 'carol' : 'CAROL', 'carol-password')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });
});

describe('ASVS V6.3: the same rules with the file directory', () => {
  const t = useTestApp({ env }, registerStandardClients);
  beforeEach(() => t.dataSource.query(`DELETE FROM login_attempts`));

  it('every compatibility spelling of a username is the same account, on one counter', async () => {
    for (const [, spelling] of ALICE_SPELLINGS.slice(0, LOCK_AFTER - 1))
      expect((await attempt(t, spelling, 'wrong-password')).status).toBe(401);
    expect(await accountRows(t)).toEqual([
      { subject: 'customer:CUPID-ALICE-0001', consecutive_failures: LOCK_AFTER - 1 },
    ]);
    expect((await attempt(t, 'ａｌｉｃｅ', 'alice-password')).status).toBe(200);
    expect(await accountRows(t)).toEqual([{ subject: 'customer:CUPID-ALICE-0001', consecutive_failures: 0 }]);
  });

  it.each([
    ['locked', 'carol', 'carol-password', 'CUPID-CAROL-0003', 'account_locked'],
    ['disabled', 'dave', 'dave-password', 'CUPID-DAVE-0004', 'account_disabled'],
  ])(
    'a %s entry: the right password answers exactly like a wrong one; the audit trail keeps the truth',
    async (_state, username, password, cupid, reason) => {
      const right = await attempt(t, username, password);
      const wrong = await attempt(t, username, 'not-the-password');
      const unknown = await attempt(t, 'nobody-at-all', 'whatever');
      expect([right.status, wrong.status, unknown.status]).toEqual([401, 401, 401]);
      expect(comparable(right.body)).toEqual(comparable(wrong.body));
      expect(comparable(right.body)).toEqual(comparable(unknown.body));
      const [event] = await auditEvents(t, { type: 'credentials.rejected', cupid });
      expect(event.details).toMatchObject({
        reason,
        passwordMatched: true,
        directoryStatus: reason === 'account_locked' ? 'LOCKED' : 'DISABLED',
      });
    },
  );
});
